// cgroup BPF network guard (see net_guard.hpp).
#include "enforce/net_guard.hpp"

#include <glassbox/enforce_net.h>
#include <glassbox/kernel_features.hpp>

#include "glassbox_enforce_bpf.skel.h"
#include "glassbox_enforce_legacy_bpf.skel.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cstdlib>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <cstdarg>
#include <cstdio>
#include <array>
#include <cstring>
#include <vector>

namespace glassbox::enforce {

std::string format_addr(const std::uint8_t a[16]) {
    static constexpr std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    char buf[INET6_ADDRSTRLEN] = {};
    if (std::memcmp(a, mapped, 12) == 0)
        inet_ntop(AF_INET, a + 12, buf, sizeof buf);
    else
        inet_ntop(AF_INET6, a, buf, sizeof buf);
    return buf;
}

namespace {
const char* hook_syscall(std::uint8_t hook) {
    switch (hook) {
    case GB_HOOK_CONNECT4:
    case GB_HOOK_CONNECT6: return "connect";
    case GB_HOOK_SENDMSG4:
    case GB_HOOK_SENDMSG6: return "sendmsg";
    case GB_HOOK_BIND4:
    case GB_HOOK_BIND6: return "bind";
    case GB_HOOK_ACCEPT4:
    case GB_HOOK_ACCEPT6: return "accept";
    default: return "send";
    }
}
const char* proto_name(std::uint8_t p) {
    switch (p) {
    case IPPROTO_TCP: return "tcp";
    case IPPROTO_UDP: return "udp";
    case IPPROTO_ICMP: return "icmp";
    case IPPROTO_ICMPV6: return "icmpv6";
    case IPPROTO_RAW: return "raw";
    default: return "ip";
    }
}
} // namespace

namespace {
struct cgroup_program {
    bpf_program* prog;
    bpf_attach_type type;
};
// The programs attached to the sandbox's cgroup, with their hooks (attach and detach use this).
// Linux 6.7's AF_UNIX sock_addr hooks; the system's headers (libbpf 1.1's era) do not name them.
constexpr auto unix_connect_hook = static_cast<bpf_attach_type>(49); // BPF_CGROUP_UNIX_CONNECT
constexpr auto unix_sendmsg_hook = static_cast<bpf_attach_type>(50); // BPF_CGROUP_UNIX_SENDMSG

std::array<cgroup_program, 15> cgroup_programs(glassbox_enforce_bpf* skel) {
    return {{
        {skel->progs.gb_connect4, BPF_CGROUP_INET4_CONNECT}, {skel->progs.gb_connect6, BPF_CGROUP_INET6_CONNECT},
        {skel->progs.gb_sendmsg4, BPF_CGROUP_UDP4_SENDMSG},  {skel->progs.gb_sendmsg6, BPF_CGROUP_UDP6_SENDMSG},
        {skel->progs.gb_bind4, BPF_CGROUP_INET4_BIND},       {skel->progs.gb_bind6, BPF_CGROUP_INET6_BIND},
        {skel->progs.gb_egress, BPF_CGROUP_INET_EGRESS},     {skel->progs.gb_ingress, BPF_CGROUP_INET_INGRESS},
        {skel->progs.gb_unix_connect, unix_connect_hook},     {skel->progs.gb_unix_sendmsg, unix_sendmsg_hook},
        {skel->progs.gb_dns_egress, BPF_CGROUP_INET_EGRESS},
        {skel->progs.gb_dns_connect4, BPF_CGROUP_INET4_CONNECT}, {skel->progs.gb_dns_connect6, BPF_CGROUP_INET6_CONNECT},
        {skel->progs.gb_dns_sendmsg4, BPF_CGROUP_UDP4_SENDMSG},  {skel->progs.gb_dns_sendmsg6, BPF_CGROUP_UDP6_SENDMSG},
    }};
}

// Which optional programs load: the exec backstop when asked, the unix hooks when usable, the
// DNS sender notes only with the legacy build (the other asks for the pid directly, and its
// sender map shrinks to one entry instead of preallocating 4096).
void set_autoload(glassbox_enforce_bpf* skel, bool exec_check, bool unix_hooks, bool legacy) {
    bpf_program__set_autoload(skel->progs.gb_exec_check, exec_check);
    bpf_program__set_autoload(skel->progs.gb_unix_connect, unix_hooks);
    bpf_program__set_autoload(skel->progs.gb_unix_sendmsg, unix_hooks);
    for (auto* p : {skel->progs.gb_dns_connect4, skel->progs.gb_dns_connect6, skel->progs.gb_dns_sendmsg4,
                    skel->progs.gb_dns_sendmsg6})
        bpf_program__set_autoload(p, legacy);
    if (!legacy)
        bpf_map__set_max_entries(skel->maps.gb_dns_senders, 1);
}

int libbpf_to_spdlog(libbpf_print_level level, const char* fmt_, va_list args) {
    if (level == LIBBPF_DEBUG)
        return 0;
    // Verifier logs run to many KiB: size the buffer from the message.
    va_list copy;
    va_copy(copy, args);
    int n = vsnprintf(nullptr, 0, fmt_, copy);
    va_end(copy);
    if (n < 0)
        return 0;
    std::string s(static_cast<std::size_t>(n) + 1, '\0');
    vsnprintf(s.data(), s.size(), fmt_, args);
    s.resize(static_cast<std::size_t>(n));
    while (!s.empty() && s.back() == '\n')
        s.pop_back();
    spdlog::debug("libbpf: {}", s);
    return 0;
}
} // namespace

// The build of the enforcement object that fits this kernel: cgroup_skb programs may call
// bpf_get_current_pid_tgid only on newer kernels (not 6.1); the legacy build finds the sender of
// a DNS query through the sock_addr programs that note it per socket (gb_dns_connect4 and co.,
// loaded for it alone). Both builds have the same maps and programs, so one skeleton type serves
// both: only the object's bytes differ. `legacy` says which was opened.
static glassbox_enforce_bpf* open_enforce_object(bool& legacy) {
    legacy = libbpf_probe_bpf_helper(BPF_PROG_TYPE_CGROUP_SKB, BPF_FUNC_get_current_pid_tgid, nullptr) != 1;
    if (!legacy)
        return glassbox_enforce_bpf__open();
    spdlog::debug("enforce: cgroup_skb programs cannot call bpf_get_current_pid_tgid here: legacy build");
    auto* obj = static_cast<glassbox_enforce_bpf*>(std::calloc(1, sizeof(glassbox_enforce_bpf)));
    if (!obj) {
        errno = ENOMEM;
        return nullptr;
    }
    if (int err = glassbox_enforce_bpf__create_skeleton(obj); err != 0) {
        glassbox_enforce_bpf__destroy(obj);
        errno = -err;
        return nullptr;
    }
    obj->skeleton->data = const_cast<void*>(glassbox_enforce_legacy_bpf__elf_bytes(&obj->skeleton->data_sz));
    if (int err = bpf_object__open_skeleton(obj->skeleton, nullptr); err != 0) {
        glassbox_enforce_bpf__destroy(obj);
        errno = -err;
        return nullptr;
    }
    return obj;
}

result<std::unique_ptr<net_guard>> net_guard::load(const policy& pol, mode m, int cgroup_fd, bool exec_check) {
    libbpf_set_print(libbpf_to_spdlog);
    std::unique_ptr<net_guard> g(new net_guard());
    g->stop_event_.reset(eventfd(0, EFD_CLOEXEC));
    g->mode_ = m;
    bool legacy = false;
    g->skel_ = open_enforce_object(legacy);
    if (!g->skel_)
        return std::unexpected(error{fmt::format("cannot open the network enforcement BPF object: {}", std::strerror(errno))});
    // Only what the profile needs is loaded: the exec backstop is a tp_btf program, and loading
    // one makes libbpf parse the kernel's BTF (~150 ms).
    g->exec_check_ = exec_check;
    // Unix socket rules: every rule must have a shape the kernel-side matcher judges exactly,
    // else unix addresses are not restricted at all (and the report says so).
    std::vector<gb_unix_rule> unix_rules;
    g->unix_ = true;
    for (const auto& pattern : pol.unix_connect) {
        auto shape = unix_rule_shape(pattern);
        if (!shape) {
            g->unix_ = false;
            g->unix_problem_ = fmt::format("unix socket rule '{}' is finer than the kernel-side matcher (an exact "
                                           "path, one '*' within a component, or a trailing /**)",
                                           pattern);
            break;
        }
        gb_unix_rule r{};
        r.kind = static_cast<std::uint8_t>(shape->type);
        r.plen = static_cast<std::uint8_t>(shape->prefix.size());
        r.slen = static_cast<std::uint8_t>(shape->suffix.size());
        std::memcpy(r.prefix, shape->prefix.data(), shape->prefix.size());
        std::memcpy(r.suffix, shape->suffix.data(), shape->suffix.size());
        unix_rules.push_back(r);
    }
    if (unix_rules.size() > GB_UNIX_MAX_RULES) {
        g->unix_ = false;
        g->unix_problem_ = fmt::format("too many unix socket rules ({} > {})", unix_rules.size(), GB_UNIX_MAX_RULES);
    }
    // Asked before the real load (the probe doctor uses): without it, a kernel before 6.7 had every
    // program verified twice (the whole load failed at the unix ones and was redone without them).
    if (g->unix_) {
        if (feature hooks = probe_unix_hooks(true); !hooks.present()) {
            g->unix_ = false;
            g->unix_problem_ = "this kernel has " + hooks.detail;
        }
    }
    bpf_program__set_expected_attach_type(g->skel_->progs.gb_unix_connect, unix_connect_hook);
    bpf_program__set_expected_attach_type(g->skel_->progs.gb_unix_sendmsg, unix_sendmsg_hook);
    set_autoload(g->skel_, exec_check, g->unix_, legacy);
    if (int rc = glassbox_enforce_bpf__load(g->skel_); rc != 0) {
        if (!g->unix_)
            return std::unexpected(
                error{fmt::format("cannot load the network enforcement BPF programs: {}", std::strerror(-rc))});
        // The hooks exist but the load failed: retried without the unix programs (if they were
        // the cause, everything else still loads; if not, the retry fails too).
        glassbox_enforce_bpf__destroy(g->skel_);
        g->skel_ = open_enforce_object(legacy);
        if (!g->skel_)
            return std::unexpected(error{"cannot reopen the network enforcement BPF object"});
        set_autoload(g->skel_, exec_check, false, legacy);
        g->unix_ = false;
        g->unix_problem_ = fmt::format("the unix socket programs did not load on this kernel: {}", std::strerror(-rc));
        if (int rc2 = glassbox_enforce_bpf__load(g->skel_); rc2 != 0)
            return std::unexpected(
                error{fmt::format("cannot load the network enforcement BPF programs: {}", std::strerror(-rc2))});
    }
    // DNS rules (policy_from_profile kept only patterns of a shape the matcher judges).
    std::uint32_t n_dns = 0;
    for (const auto& pattern : pol.dns) {
        auto shape = dns_rule_shape(pattern);
        if (!shape || n_dns >= GB_DNS_MAX_RULES)
            return std::unexpected(error{fmt::format("network.dns rule '{}' cannot be loaded", pattern)});
        gb_dns_rule r{};
        r.kind = static_cast<std::uint8_t>(shape->type);
        r.len = static_cast<std::uint8_t>(shape->name.size());
        std::memcpy(r.name, shape->name.data(), shape->name.size());
        if (bpf_map_update_elem(bpf_map__fd(g->skel_->maps.gb_dns_rules), &n_dns, &r, BPF_ANY) != 0)
            return std::unexpected(error{"cannot fill the DNS rule map"});
        ++n_dns;
    }
    if (g->unix_) {
        int ufd = bpf_map__fd(g->skel_->maps.gb_unix_rules);
        for (std::uint32_t i = 0; i < unix_rules.size(); ++i)
            if (bpf_map_update_elem(ufd, &i, &unix_rules[i], BPF_ANY) != 0)
                return std::unexpected(error{"cannot fill the unix socket rule map"});
    }
    if (pol.net.size() > GB_NET_MAX_RULES)
        return std::unexpected(error{fmt::format("too many network rules ({} > {})", pol.net.size(), GB_NET_MAX_RULES)});
    int rules_fd = bpf_map__fd(g->skel_->maps.gb_rules);
    for (std::uint32_t i = 0; i < pol.net.size(); ++i) {
        const auto& r = pol.net[i];
        gb_net_rule br{};
        std::memcpy(br.addr, r.addr.data(), 16);
        br.prefix = r.prefix;
        br.protocol = r.protocol;
        br.dir = static_cast<std::uint8_t>(r.dir);
        br.port_lo = r.port_lo;
        br.port_hi = r.port_hi;
        if (bpf_map_update_elem(rules_fd, &i, &br, BPF_ANY) != 0)
            return std::unexpected(error{"cannot fill the network rule map"});
    }
    gb_net_config cfg{};
    cfg.n_rules = static_cast<std::uint32_t>(pol.net.size());
    cfg.mode = m == mode::complain ? GB_NET_COMPLAIN : m == mode::kill ? GB_NET_KILL : GB_NET_ENFORCE;
    cfg.raw_allowed = pol.raw_sockets;
    cfg.n_unix = g->unix_ ? static_cast<std::uint32_t>(unix_rules.size()) : 0;
    cfg.n_dns = n_dns;
    std::uint32_t zero = 0;
    if (bpf_map_update_elem(bpf_map__fd(g->skel_->maps.gb_config), &zero, &cfg, BPF_ANY) != 0 ||
        bpf_map_update_elem(bpf_map__fd(g->skel_->maps.gb_dns_config), &zero, &cfg, BPF_ANY) != 0)
        return std::unexpected(error{"cannot configure the network programs"});

    if (cgroup_fd >= 0)
        if (auto ok = g->attach(cgroup_fd); !ok)
            return std::unexpected(ok.error());
    return g;
}

result<void> net_guard::attach(int cgroup_fd) {
    cgroup_fd_ = cgroup_fd;
    if (exec_check_) {
        std::uint32_t zero = 0;
        std::uint32_t cfd = static_cast<std::uint32_t>(cgroup_fd);
        if (bpf_map_update_elem(bpf_map__fd(skel_->maps.gb_exec_cgroup), &zero, &cfd, BPF_ANY) != 0)
            return std::unexpected(error{fmt::format("cannot configure the exec backstop: {}", std::strerror(errno))});
        if (!skel_->links.gb_exec_check) {
            skel_->links.gb_exec_check = bpf_program__attach(skel_->progs.gb_exec_check);
            if (!skel_->links.gb_exec_check)
                return std::unexpected(error{fmt::format("cannot attach the exec backstop: {}", std::strerror(errno))});
        }
    }
    const auto progs = cgroup_programs(skel_);
    for (auto& p : progs) {
        if (bpf_program__fd(p.prog) < 0)
            continue; // not loaded (not needed, or not supported by this kernel)
        if (bpf_prog_attach(bpf_program__fd(p.prog), cgroup_fd, p.type, BPF_F_ALLOW_MULTI) != 0) {
            int e = errno;
            attached_ = true;
            detach();
            return std::unexpected(error{fmt::format("cannot attach {} to the sandbox cgroup: {}",
                                                     bpf_program__name(p.prog), std::strerror(e))});
        }
    }
    attached_ = true;
    return {};
}

bool net_guard::approve_exec(pid_t tid, dev_t dev, ino_t ino) {
    if (!exec_check_ || !skel_)
        return false;
    std::uint32_t key = static_cast<std::uint32_t>(tid);
    gb_exec_ok ok{};
    ok.ino = ino;
    ok.dev = (major(dev) << 20) | minor(dev); // the kernel's internal dev_t
    return bpf_map_update_elem(bpf_map__fd(skel_->maps.gb_exec_ok), &key, &ok, BPF_ANY) == 0;
}

// Every report ends the same way: stamped with the task and time the BPF program saw, given the
// action taken (`killed`: the program itself killed the task, in every mode), passed to the sink;
// in kill mode a denial kills the whole tree.
template <class Report>
void net_guard::deliver(violation& v, const Report& r, const char* mechanism, bool allowed, bool killed) const {
    v.mechanism = mechanism;
    v.pid = static_cast<int>(r.pid);
    v.tid = static_cast<int>(r.tid);
    v.ts_ns = r.ts_ns;
    v.action = killed ? "killed" : allowed ? "allowed" : mode_ == mode::kill ? "killed" : "denied";
    if (sink_)
        sink_(v);
    if (!allowed && mode_ == mode::kill && kill_tree_)
        kill_tree_();
}

int net_guard::on_report(void* ctx, void* data, std::size_t len) {
    auto* g = static_cast<net_guard*>(ctx);
    if (len < sizeof(gb_net_report))
        return 0;
    gb_net_report r{};
    std::memcpy(&r, data, sizeof r);
    violation v;
    if (r.hook == GB_HOOK_EXEC) {
        std::uint32_t kdev = 0;
        std::uint64_t ino = 0;
        std::memcpy(&kdev, &r.addr[0], 4);
        std::memcpy(&ino, &r.addr[4], 8);
        v.section = "processes.exec";
        v.syscall = "execve";
        v.access = "exec";
        v.what = fmt::format("exec of a file the supervisor did not approve (device {}:{}, inode {}): the "
                             "path changed between the check and the exec",
                             kdev >> 20, kdev & 0xfffff, ino);
        g->deliver(v, r, "bpf-exec-backstop", false, true); // in every mode: the new image never ran
        return 0;
    }
    bool accept = r.hook == GB_HOOK_ACCEPT4 || r.hook == GB_HOOK_ACCEPT6;
    v.section = (r.hook == GB_HOOK_BIND4 || r.hook == GB_HOOK_BIND6) ? "network.bind"
                : accept                                             ? "network.accept"
                                                                     : "network.connect";
    v.syscall = hook_syscall(r.hook);
    v.addr = format_addr(r.addr);
    v.port = r.hook == GB_HOOK_EGRESS ? -1 : r.port;
    v.protocol = r.sock_type == 3 ? "raw" : proto_name(r.protocol);
    if (r.hook == GB_HOOK_EGRESS)
        v.what = fmt::format("{} packet to {} from a raw/ICMP socket", v.protocol, v.addr);
    else if (accept)
        v.what = fmt::format("incoming {} connection from {}:{}{}", v.protocol, v.addr, r.port,
                             r.allowed ? "" : " (dropped before accept)");
    else
        v.what = fmt::format("{} {} {}:{}", v.syscall, v.protocol, v.addr, r.port);
    g->deliver(v, r, "cgroup-bpf", r.allowed);
    return 0;
}

int net_guard::on_unix_report(void* ctx, void* data, std::size_t len) {
    auto* g = static_cast<net_guard*>(ctx);
    if (len < sizeof(gb_unix_report))
        return 0;
    gb_unix_report r{};
    std::memcpy(&r, data, sizeof r);
    violation v;
    v.section = "network.connect";
    v.syscall = r.hook == GB_UNIX_SENDMSG ? "sendmsg" : "connect";
    v.protocol = "unix";
    v.path.assign(r.path, std::min<std::size_t>(r.len, sizeof r.path));
    for (auto& c : v.path)
        if (c == '\0')
            c = '@'; // abstract names may hold NULs
    v.what = fmt::format("{} unix {}{}", v.syscall, v.path,
                         r.reason == 1   ? " (relative path: not judged, refused)"
                         : r.reason == 2 ? " (\".\" or \"..\" component: refused)"
                                         : "");
    g->deliver(v, r, "cgroup-bpf", r.allowed);
    return 0;
}

int net_guard::on_dns_report(void* ctx, void* data, std::size_t len) {
    auto* g = static_cast<net_guard*>(ctx);
    if (len < sizeof(gb_dns_report))
        return 0;
    gb_dns_report r{};
    std::memcpy(&r, data, sizeof r);
    violation v;
    v.section = "network.dns";
    v.syscall = "send";
    v.addr = format_addr(r.addr);
    v.port = 53;
    v.protocol = r.reason == 2 ? "tcp" : "udp";
    v.name.assign(r.name, std::min<std::size_t>(r.len, sizeof r.name));
    v.what = r.reason == 2   ? fmt::format("DNS over TCP to {} (not inspected: refused)", v.addr)
             : r.reason == 1 ? fmt::format("DNS query to {} that cannot be parsed exactly", v.addr)
                             : fmt::format("DNS query for {} to {}", v.name, v.addr);
    g->deliver(v, r, "cgroup-bpf", r.allowed);
    return 0;
}

void net_guard::start(violation_sink sink, std::function<void()> kill_tree) {
    sink_ = std::move(sink);
    kill_tree_ = std::move(kill_tree);
    rb_ = ring_buffer__new(bpf_map__fd(skel_->maps.gb_reports), &net_guard::on_report, this, nullptr);
    if (!rb_) {
        spdlog::error("network guard: cannot open the report ring buffer");
        return;
    }
    if (ring_buffer__add(rb_, bpf_map__fd(skel_->maps.gb_dns_reports), &net_guard::on_dns_report, this) != 0)
        spdlog::error("network guard: cannot open the DNS report ring buffer (denials are not reported)");
    if (unix_ && ring_buffer__add(rb_, bpf_map__fd(skel_->maps.gb_unix_reports), &net_guard::on_unix_report, this) != 0)
        spdlog::error("network guard: cannot open the unix report ring buffer (denials are not reported)");
    if (exec_check_ && ring_buffer__add(rb_, bpf_map__fd(skel_->maps.gb_exec_reports), &net_guard::on_report, this) != 0)
        spdlog::error("exec backstop: cannot open its report ring buffer (kills are not reported)");
    // Waits on the ring buffer and on stop_event_ together, so stop() returns at once instead of
    // after a poll timeout (that timeout was part of every run's fixed cost).
    thread_ = std::thread([this] {
        pollfd pf[2] = {{ring_buffer__epoll_fd(rb_), POLLIN, 0}, {stop_event_.get(), POLLIN, 0}};
        while (!stop_.load()) {
            if (poll(pf, 2, -1) < 0 && errno != EINTR)
                break;
            if (pf[1].revents)
                break;
            ring_buffer__consume(rb_);
        }
        ring_buffer__consume(rb_);
    });
}

void net_guard::stop() {
    stop_ = true;
    if (thread_.joinable()) {
        std::uint64_t one = 1;
        if (write(stop_event_.get(), &one, sizeof one) < 0)
            spdlog::debug("network guard: eventfd write failed");
        thread_.join();
    }
}

void net_guard::detach() {
    if (!attached_ || !skel_)
        return;
    const auto progs = cgroup_programs(skel_);
    for (auto& p : progs)
        if (bpf_program__fd(p.prog) >= 0)
            bpf_prog_detach2(bpf_program__fd(p.prog), cgroup_fd_, p.type);
    attached_ = false;
}

std::uint64_t net_guard::lost() const {
    if (!skel_)
        return 0;
    int ncpu = libbpf_num_possible_cpus();
    if (ncpu <= 0)
        return 0;
    std::vector<std::uint64_t> v(static_cast<std::size_t>(ncpu));
    std::uint32_t zero = 0;
    if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.gb_lost), &zero, v.data()) != 0)
        return 0;
    std::uint64_t sum = 0;
    for (auto x : v)
        sum += x;
    return sum;
}

net_guard::~net_guard() {
    stop();
    if (rb_)
        ring_buffer__free(rb_);
    detach();
    if (skel_)
        glassbox_enforce_bpf__destroy(skel_);
}

} // namespace glassbox::enforce
