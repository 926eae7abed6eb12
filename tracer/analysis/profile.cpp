// Profile loading and matching: turns a glassbox/v1 Profile YAML document (docs/profile-format.md)
// into the model in <glassbox/profile.hpp>, rejecting anything it does not understand with the
// line and column of the offending node, and answers "is this action allowed?" for check, diff
// and the enforce supervisor.
#include <glassbox/profile.hpp>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

namespace glassbox::profile {

std::string load_error::message() const {
    std::string m = file;
    if (pos.line > 0) {
        m += ":" + std::to_string(pos.line);
        if (pos.column > 0)
            m += ":" + std::to_string(pos.column);
    }
    return m + ": " + reason;
}

std::string_view to_string(file_access a) {
    switch (a) {
    case file_access::read:
        return "read";
    case file_access::write:
        return "write";
    case file_access::exec:
        return "exec";
    case file_access::remove:
        return "delete";
    case file_access::metadata:
        return "metadata";
    }
    return "?";
}

const std::vector<path_rule>& files_section::of(file_access a) const {
    switch (a) {
    case file_access::read:
        return read;
    case file_access::write:
        return write;
    case file_access::exec:
        return exec;
    case file_access::remove:
        return remove;
    case file_access::metadata:
        return metadata;
    }
    return read;
}

std::vector<path_rule>& files_section::of(file_access a) {
    return const_cast<std::vector<path_rule>&>(std::as_const(*this).of(a));
}

const std::vector<std::string_view>& known_privileged_ops() {
    static const std::vector<std::string_view> ops = {
        "init_module",      "finit_module",     "delete_module",   "ptrace",
        "process_vm_readv", "process_vm_writev", "mount",          "umount2",
        "pivot_root",       "fsopen",           "fsmount",         "move_mount",
        "bpf",              "perf_event_open",  "kexec_load",      "kexec_file_load",
        "reboot",           "setns",            "unshare",         "chroot",
        "ioperm",           "iopl",             "open_by_handle_at", "name_to_handle_at",
        "keyctl",           "add_key",          "request_key",     "fanotify_init",
        "fanotify_mark",    "io_uring_setup",   "prlimit64",       "setpriority",
        "ioprio_set",       "sched_setparam",   "sched_setscheduler", "sched_setaffinity",
        "sched_setattr",    "pidfd_getfd",      "cgroup_attach",   "abi32",
    };
    return ops;
}

const std::vector<std::string_view>& known_cred_syscalls() {
    static const std::vector<std::string_view> names = {
        "setuid",   "setgid",   "setreuid", "setregid",  "setresuid",
        "setresgid", "setfsuid", "setfsgid", "setgroups", "capset",
    };
    return names;
}

namespace {

template <typename Rules, typename Match>
auto first_match(const Rules& rules, Match&& m) -> decltype(&rules.front()) {
    for (const auto& r : rules)
        if (m(r.pattern))
            return &r;
    return nullptr;
}

const name_rule* match_name(const std::vector<name_rule>& rules, std::string_view name) {
    for (const auto& r : rules)
        if (r.pattern == name)
            return &r;
    return nullptr;
}

} // namespace

const path_rule* profile::match_file(file_access access, std::string_view path) const {
    return first_match(files.of(access), [&](const glob& g) { return g.matches(path); });
}
const path_rule* profile::match_exec(std::string_view path) const {
    return first_match(processes.exec, [&](const glob& g) { return g.matches(path); });
}
const path_rule* profile::match_memfd(std::string_view name) const {
    return first_match(processes.memfd, [&](const glob& g) { return g.matches(name); });
}
const path_rule* profile::match_signal(std::string_view exe) const {
    return first_match(processes.signal, [&](const glob& g) { return g.matches(exe); });
}
const endpoint_rule* profile::match_connect(const endpoint& e) const {
    return first_match(network.connect, [&](const endpoint_pattern& p) { return p.matches(e); });
}
const endpoint_rule* profile::match_bind(const endpoint& e) const {
    return first_match(network.bind, [&](const endpoint_pattern& p) { return p.matches(e); });
}
const endpoint_rule* profile::match_accept(const endpoint& e) const {
    return first_match(network.accept, [&](const endpoint_pattern& p) { return p.matches(e); });
}
const dns_rule* profile::match_dns(std::string_view name) const {
    return first_match(network.dns, [&](const dns_pattern& p) { return p.matches(name); });
}
const path_rule* profile::match_socket(std::string_view family, std::string_view sock_type) const {
    std::string key;
    key.reserve(family.size() + sock_type.size() + 1);
    key.append(family).append("/").append(sock_type);
    return first_match(network.sockets, [&](const glob& g) { return g.matches(key); });
}
const name_rule* profile::match_privileged(std::string_view op) const { return match_name(privileged, op); }
const name_rule* profile::match_cred(std::string_view s) const { return match_name(processes.cred, s); }
const name_rule* profile::match_prctl(std::string_view o) const { return match_name(processes.prctl, o); }

bool profile::allows_connect(std::string_view proto, std::string_view addr, int port) const {
    return match_connect(endpoint{proto, addr, port, {}, false, false});
}
bool profile::allows_bind(std::string_view proto, std::string_view addr, int port) const {
    return match_bind(endpoint{proto, addr, port, {}, false, false});
}
bool profile::allows_unix_connect(std::string_view path, bool abstract) const {
    return match_connect(endpoint{"unix", {}, -1, path, abstract, false});
}
bool profile::allows_syscall(std::string_view name) const {
    if (!syscalls)
        return true;
    return match_name(*syscalls, name);
}

// ---------------------------------------------------------------------------------------------
// Parsing

namespace {

struct parse_failure {
    source_pos pos;
    std::string reason;
};

source_pos pos_of(const YAML::Node& n) {
    auto m = n.Mark();
    if (m.is_null())
        return {};
    return {m.line + 1, m.column + 1};
}

[[noreturn]] void fail(const YAML::Node& n, std::string reason) {
    throw parse_failure{pos_of(n), std::move(reason)};
}

std::string node_kind(const YAML::Node& n) {
    switch (n.Type()) {
    case YAML::NodeType::Map:
        return "a mapping";
    case YAML::NodeType::Sequence:
        return "a list";
    case YAML::NodeType::Scalar:
        return "a scalar";
    case YAML::NodeType::Null:
        return "empty";
    default:
        return "undefined";
    }
}

std::string join(const std::vector<std::string_view>& v) {
    std::string out;
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (i)
            out += ", ";
        out += v[i];
    }
    return out;
}

// Iterates a mapping, rejecting duplicate and unknown keys; calls f(key, value_node).
template <typename F>
void for_each_key(const YAML::Node& map, std::string_view where,
                  const std::vector<std::string_view>& allowed, F&& f) {
    if (map.IsNull())
        return;
    if (!map.IsMap())
        fail(map, std::string(where) + " must be a mapping, not " + node_kind(map));
    std::set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
        // Copies, not references: yaml-cpp's operator-> returns a temporary proxy, so a
        // reference to its `first` dangles at the end of the statement (found by libFuzzer +
        // ASan: stack-use-after-scope; regression input tests/fuzz/corpus/profile_parser/).
        const YAML::Node k = it->first;
        const YAML::Node v = it->second;
        if (!k.IsScalar())
            fail(k, "keys in " + std::string(where) + " must be plain names");
        std::string key = k.Scalar();
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
            fail(k, "unknown key '" + key + "' in " + std::string(where) + " (expected one of: " +
                        join(allowed) + ")");
        if (!seen.insert(key).second)
            fail(k, "duplicate key '" + key + "' in " + std::string(where));
        f(key, k, v);
    }
}

std::string scalar(const YAML::Node& n, const std::string& where) {
    if (!n.IsScalar())
        fail(n, where + " must be a string, not " + node_kind(n));
    return n.Scalar();
}

// A list of scalars (an empty value is an empty list).
template <typename F>
void for_each_item(const YAML::Node& list, const std::string& where, F&& f) {
    if (list.IsNull())
        return;
    if (!list.IsSequence())
        fail(list, where + " must be a list, not " + node_kind(list));
    for (const auto& item : list) {
        if (!item.IsScalar())
            fail(item, "each entry of " + where + " must be a string, not " + node_kind(item));
        f(item, item.Scalar());
    }
}

void parse_globs(const YAML::Node& list, const std::string& where, std::vector<path_rule>& out,
                 bool absolute) {
    for_each_item(list, where, [&](const YAML::Node& item, const std::string& text) {
        auto g = glob::compile(text, '/');
        if (!g)
            fail(item, "bad pattern '" + text + "' in " + where + ": " + g.error());
        if (absolute && !(text.starts_with("/") || text.starts_with("{") || text.starts_with("*") ||
                          text.find(':') != std::string::npos))
            fail(item, "pattern '" + text + "' in " + where +
                           " must be an absolute path (or a special name such as 'memfd:*')");
        out.push_back({std::move(*g), pos_of(item)});
    });
}

void parse_endpoints(const YAML::Node& list, const std::string& where, std::vector<endpoint_rule>& out) {
    for_each_item(list, where, [&](const YAML::Node& item, const std::string& text) {
        auto p = endpoint_pattern::compile(text);
        if (!p)
            fail(item, "bad endpoint '" + text + "' in " + where + ": " + p.error());
        out.push_back({std::move(*p), pos_of(item)});
    });
}

void parse_names(const YAML::Node& list, const std::string& where, std::vector<name_rule>& out,
                 const std::vector<std::string_view>* known) {
    for_each_item(list, where, [&](const YAML::Node& item, const std::string& text) {
        if (text.empty())
            fail(item, "empty name in " + where);
        if (known && std::find(known->begin(), known->end(), text) == known->end())
            fail(item, "unknown name '" + text + "' in " + where + " (expected one of: " +
                           join(*known) + ")");
        for (unsigned char c : text)
            if (!(std::isalnum(c) || c == '_'))
                fail(item, "name '" + text + "' in " + where +
                               " may contain only letters, digits and '_'");
        out.push_back({text, pos_of(item)});
    });
}

profile parse_document(const YAML::Node& root) {
    if (root.IsNull())
        fail(root, "empty document (expected apiVersion: glassbox/v1, kind: Profile)");
    if (!root.IsMap())
        fail(root, "a profile must be a mapping, not " + node_kind(root));
    profile p;
    bool have_api = false, have_kind = false;
    for_each_key(
        root, "the profile",
        {"apiVersion", "kind", "metadata", "files", "processes", "network", "privileged", "syscalls"},
        [&](const std::string& key, const YAML::Node& k, const YAML::Node& v) {
            (void)k;
            if (key == "apiVersion") {
                auto s = scalar(v, "apiVersion");
                if (s != "glassbox/v1")
                    fail(v, "unsupported apiVersion '" + s + "' (this glassbox reads glassbox/v1)");
                p.api_version = s;
                have_api = true;
            } else if (key == "kind") {
                auto s = scalar(v, "kind");
                if (s != "Profile")
                    fail(v, "kind must be 'Profile', not '" + s + "'");
                have_kind = true;
            } else if (key == "metadata") {
                for_each_key(v, "metadata", {"name", "description"},
                             [&](const std::string& mk, const YAML::Node&, const YAML::Node& mv) {
                                 if (mk == "name")
                                     p.name = scalar(mv, "metadata.name");
                                 else
                                     p.description = scalar(mv, "metadata.description");
                             });
            } else if (key == "files") {
                for_each_key(v, "files", {"read", "write", "exec", "delete", "metadata"},
                             [&](const std::string& fk, const YAML::Node&, const YAML::Node& fv) {
                                 for (auto a : all_file_access)
                                     if (to_string(a) == fk)
                                         parse_globs(fv, "files." + fk, p.files.of(a), true);
                             });
            } else if (key == "processes") {
                for_each_key(v, "processes", {"exec", "memfd", "signal", "cred", "prctl"},
                             [&](const std::string& pk, const YAML::Node&, const YAML::Node& pv) {
                                 if (pk == "exec")
                                     parse_globs(pv, "processes.exec", p.processes.exec, true);
                                 else if (pk == "memfd")
                                     parse_globs(pv, "processes.memfd", p.processes.memfd, false);
                                 else if (pk == "signal")
                                     parse_globs(pv, "processes.signal", p.processes.signal, false);
                                 else if (pk == "cred")
                                     parse_names(pv, "processes.cred", p.processes.cred,
                                                 &known_cred_syscalls());
                                 else
                                     parse_names(pv, "processes.prctl", p.processes.prctl, nullptr);
                             });
            } else if (key == "network") {
                for_each_key(v, "network", {"connect", "bind", "accept", "dns", "sockets"},
                             [&](const std::string& nk, const YAML::Node&, const YAML::Node& nv) {
                                 if (nk == "connect")
                                     parse_endpoints(nv, "network.connect", p.network.connect);
                                 else if (nk == "bind")
                                     parse_endpoints(nv, "network.bind", p.network.bind);
                                 else if (nk == "accept")
                                     parse_endpoints(nv, "network.accept", p.network.accept);
                                 else if (nk == "sockets")
                                     parse_globs(nv, "network.sockets", p.network.sockets, false);
                                 else
                                     for_each_item(nv, "network.dns",
                                                   [&](const YAML::Node& item, const std::string& text) {
                                                       auto d = dns_pattern::compile(text);
                                                       if (!d)
                                                           fail(item, "bad DNS name '" + text +
                                                                          "' in network.dns: " + d.error());
                                                       p.network.dns.push_back({std::move(*d), pos_of(item)});
                                                   });
                             });
            } else if (key == "privileged") {
                parse_names(v, "privileged", p.privileged, &known_privileged_ops());
            } else if (key == "syscalls") {
                std::vector<name_rule> names;
                parse_names(v, "syscalls", names, nullptr);
                p.syscalls = std::move(names);
            }
        });
    if (!have_api)
        fail(root, "missing 'apiVersion: glassbox/v1'");
    if (!have_kind)
        fail(root, "missing 'kind: Profile'");
    return p;
}

// Counts YAML documents (and where the second starts) without building them.
struct document_counter : YAML::EventHandler {
    int documents = 0;
    YAML::Mark second;
    void OnDocumentStart(const YAML::Mark& m) override {
        if (++documents == 2)
            second = m;
    }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}
};

} // namespace

std::expected<profile, load_error> parse_profile(std::string_view yaml, std::string_view source_name) {
    load_error err{std::string(source_name), {}, {}};
    try {
        std::string text(yaml);
        // Count the documents first, with a bound: yaml-cpp 0.7's LoadAll never ends on some
        // malformed input (a top-level quoted scalar followed by ',': its parser reports a new
        // empty document forever; found by libFuzzer, corpus regress-yaml-loadall-loop.yaml).
        document_counter counter;
        {
            std::istringstream in(text);
            YAML::Parser parser(in);
            for (int calls = 0; calls < 2 && parser.HandleNextDocument(counter); ++calls) {
            }
        }
        if (counter.documents == 0) {
            err.reason = "empty document (expected apiVersion: glassbox/v1, kind: Profile)";
            return std::unexpected(err);
        }
        if (counter.documents > 1) {
            err.pos = {counter.second.line + 1, counter.second.column + 1};
            err.reason = "more than one YAML document (a profile is one document)";
            return std::unexpected(err);
        }
        return parse_document(YAML::Load(text));
    } catch (const parse_failure& f) {
        err.pos = f.pos;
        err.reason = f.reason;
    } catch (const YAML::Exception& e) {
        if (!e.mark.is_null())
            err.pos = {e.mark.line + 1, e.mark.column + 1};
        err.reason = "invalid YAML: " + e.msg;
    } catch (const std::exception& e) {
        err.reason = std::string("invalid profile: ") + e.what();
    }
    return std::unexpected(err);
}

std::expected<profile, load_error> load_profile(const std::filesystem::path& file) {
    load_error err{file.string(), {}, {}};
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec)) {
        err.reason = "is a directory, not a profile file";
        return std::unexpected(err);
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        err.reason = "cannot read the profile";
        return std::unexpected(err);
    }
    std::string text;
    constexpr std::size_t kMax = 16u << 20;
    char buf[65536];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
        text.append(buf, static_cast<std::size_t>(in.gcount()));
        if (text.size() > kMax) {
            err.reason = "profile larger than 16 MiB";
            return std::unexpected(err);
        }
    }
    return parse_profile(text, file.string());
}

} // namespace glassbox::profile
