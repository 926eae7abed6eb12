// Profile -> enforcement policy: splits each path pattern into its brace-free alternatives (one
// Landlock anchor each, matched with the profile's own glob), turns inet endpoint rules into the
// cgroup BPF rule table, and collects the rules no mechanism can enforce as written.
#include "enforce/policy.hpp"

#include <fmt/core.h>

#include <netinet/in.h>

namespace glassbox::enforce {

namespace {

void add_paths(policy& pol, const std::vector<profile::path_rule>& rules, std::uint32_t access) {
    for (const auto& r : rules)
        for (const auto& alt : r.pattern.alternatives()) {
            file_rule fr;
            fr.pattern = alt;
            fr.access = access;
            if (auto g = profile::glob::compile(alt); g)
                fr.compiled = std::make_shared<const profile::glob>(std::move(*g));
            pol.files.push_back(std::move(fr));
        }
}

void add_endpoints(policy& pol, const std::vector<profile::endpoint_rule>& rules, net_rule::direction dir,
                   std::vector<std::string>& notes) {
    for (const auto& r : rules) {
        const auto& e = r.pattern;
        switch (e.type) {
        case profile::endpoint_pattern::kind::inet: {
            std::vector<std::uint8_t> protos;
            if (e.proto == "tcp")
                protos = {IPPROTO_TCP};
            else if (e.proto == "udp")
                protos = {IPPROTO_UDP};
            else if (e.proto == "sctp")
                protos = {IPPROTO_SCTP};
            else if (e.proto == "raw") {
                protos = {IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_RAW};
                pol.raw_sockets = true;
            } else
                protos = {0};
            for (auto proto : protos) {
                net_rule nr;
                nr.dir = dir;
                nr.text = e.text();
                nr.protocol = proto;
                nr.port_lo = e.port_lo;
                nr.port_hi = e.port_hi;
                if (e.ip_version == 4) {
                    nr.addr[10] = nr.addr[11] = 0xff;
                    for (int i = 0; i < 4; ++i)
                        nr.addr[12 + i] = e.addr[i];
                    nr.prefix = static_cast<std::uint8_t>(96 + e.prefix_len);
                } else if (e.ip_version == 6) {
                    nr.addr = e.addr;
                    nr.prefix = static_cast<std::uint8_t>(e.prefix_len);
                }
                pol.net.push_back(nr);
            }
            break;
        }
        case profile::endpoint_pattern::kind::unix_path:
        case profile::endpoint_pattern::kind::unix_abstract:
            if (dir == net_rule::direction::connect && e.name) {
                bool abstract = e.type == profile::endpoint_pattern::kind::unix_abstract;
                for (const auto& alt : e.name->alternatives())
                    pol.unix_connect.push_back(abstract ? "@" + alt : alt);
            } else if (dir == net_rule::direction::bind && e.name &&
                       e.type == profile::endpoint_pattern::kind::unix_path) {
                for (const auto& alt : e.name->alternatives())
                    pol.unix_bind.push_back(alt);
            } else if (dir == net_rule::direction::bind) {
                notes.push_back(fmt::format("network rule '{}': binding abstract unix names is not restricted "
                                            "(only filesystem socket paths are, by Landlock)",
                                            e.text()));
            } else if (dir != net_rule::direction::connect) {
                notes.push_back(fmt::format("network rule '{}': accept of unix sockets is not restricted",
                                            e.text()));
            }
            break;
        case profile::endpoint_pattern::kind::unix_unnamed:
            break;
        case profile::endpoint_pattern::kind::family:
            if (e.proto == "packet")
                pol.raw_sockets = true;
            notes.push_back(fmt::format("network rule '{}': families other than inet/inet6 are controlled by "
                                        "network.sockets only",
                                        e.text()));
            break;
        }
    }
}

} // namespace

policy policy_from_profile(std::shared_ptr<const profile::profile> prof, std::vector<std::string>& notes) {
    policy pol;
    const auto& p = *prof;
    add_paths(pol, p.files.read, acc_read);
    add_paths(pol, p.files.write, acc_write);
    // Shared libraries are opened for reading and then mapped; Landlock does not check mmap.
    add_paths(pol, p.files.exec, acc_read);
    add_paths(pol, p.files.remove, acc_remove);
    add_paths(pol, p.processes.exec, acc_exec);
    add_endpoints(pol, p.network.connect, net_rule::direction::connect, notes);
    add_endpoints(pol, p.network.bind, net_rule::direction::bind, notes);
    add_endpoints(pol, p.network.accept, net_rule::direction::accept, notes);
    for (const auto& r : p.network.dns) {
        if (!dns_rule_shape(r.pattern.text())) {
            pol.unenforced.push_back(fmt::format("network.dns names are NOT enforced: '{}' is finer than the "
                                                 "in-kernel matcher (an exact name, **.SUFFIX or *.SUFFIX)",
                                                 r.pattern.text()));
            pol.dns.clear();
            break;
        }
        pol.dns.push_back(r.pattern.text());
    }
    if (p.match_socket("inet", "raw") || p.match_socket("inet6", "raw") || p.match_socket("packet", "raw") ||
        p.match_socket("packet", "dgram"))
        pol.raw_sockets = true;
    for (const auto& r : p.privileged)
        pol.privileged.insert(r.pattern);
    if (p.syscalls) {
        std::set<std::string> s;
        for (const auto& r : *p.syscalls)
            s.insert(r.pattern);
        pol.syscalls = std::move(s);
    }
    pol.prof = std::move(prof);
    return pol;
}

} // namespace glassbox::enforce
