// The enforcement policy: what the sandboxed command may do, in the shape the kernel mechanisms
// need (file globs with access bits, network rules, allowed privileged operations, an optional
// syscall allowlist). It sits between the profile (docs/profile-format.md, parsed elsewhere) and
// the mechanisms (Landlock, seccomp filter + supervisor, cgroup BPF), so each mechanism compiles
// from one model and the supervisor decides with the same matcher the docs describe.
#pragma once

#include <glassbox/profile.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace glassbox::enforce {

enum class mode { enforce, complain, kill };
std::string_view mode_name(mode m);

// File access kinds a rule grants (bit set).
enum access : std::uint32_t {
    acc_read = 1u << 0,    // open for reading, list a directory
    acc_write = 1u << 1,   // open for writing, create, truncate
    acc_exec = 1u << 2,    // execute
    acc_remove = 1u << 3,  // unlink, rmdir
    acc_refer = 1u << 4,   // rename/link a file into another directory
};
std::string access_names(std::uint32_t bits); // "read,write"

// A file rule: an absolute glob. `*` and `?` stay within one path component, `**` spans any number
// of components (including none), so "/srv/**" covers /srv itself and everything below it.
struct file_rule {
    std::string pattern;                  // brace-free (one alternative of a profile pattern)
    std::uint32_t access = 0;
    std::shared_ptr<const profile::glob> compiled; // exact profile semantics when set
    bool matches(std::string_view path) const;
};

// Glob matching as documented above (exposed for the unit tests and the supervisor).
bool glob_match(std::string_view pattern, std::string_view path);
// The longest leading directory of a pattern without wildcards ("/etc/*.conf" -> "/etc").
std::string glob_anchor(std::string_view pattern);
bool glob_has_wildcard(std::string_view pattern);

// A network rule. Addresses are stored as IPv6; IPv4 as IPv4-mapped (::ffff:a.b.c.d) with the
// prefix length counted in the 128-bit space, so a v4-mapped IPv6 destination is matched exactly
// like the IPv4 address it carries.
struct net_rule {
    enum class direction : std::uint8_t { connect = 1, bind = 2, accept = 3 }; // accept: the peer
    direction dir = direction::connect;
    std::array<std::uint8_t, 16> addr{};
    std::uint8_t prefix = 0;     // 0 = any address
    std::uint8_t protocol = 0;   // 0 any, 6 tcp, 17 udp, 1 icmp, 58 icmpv6
    std::uint16_t port_lo = 0, port_hi = 65535;
    std::string text;            // as written, for messages
};
// "10.0.0.0/8", "::1", "127.0.0.1", "*" -> address + prefix (nullopt on bad input).
std::optional<std::pair<std::array<std::uint8_t, 16>, std::uint8_t>> parse_cidr(std::string_view s);

struct policy {
    std::vector<file_rule> files;
    std::vector<net_rule> net;
    // Unix socket address globs the command may connect/send to: brace-free alternatives, an
    // abstract name written "@name".
    std::vector<std::string> unix_connect;
    // Filesystem unix socket path globs the command may bind (network.bind "unix PATH"): the
    // socket file bind() creates. Landlock's MAKE_SOCK is granted only for them.
    std::vector<std::string> unix_bind;
    // network.dns name patterns, lower case, no trailing dot.
    std::vector<std::string> dns;
    std::set<std::string> privileged;      // allowed privileged operations (trace `priv` op names)
    std::optional<std::set<std::string>> syscalls; // allowlist; nullopt = not restricted
    bool raw_sockets = false;              // raw/packet sockets allowed
    std::vector<std::string> unenforced;   // profile rules no mechanism enforces (one sentence each)
    // The profile this policy came from: the supervisor decides with its matchers, so enforce,
    // check and learn agree on what a pattern means. Null for policies built in code (tests).
    std::shared_ptr<const profile::profile> prof;

    // Whether every access in `need` is granted for `path`.
    bool file_allows(std::string_view path, std::uint32_t need) const;
    bool net_allows(net_rule::direction dir, const std::array<std::uint8_t, 16>& addr,
                    std::uint8_t protocol, std::uint16_t port) const;
};

// The shape of a unix socket rule the kernel-side matcher can judge (see glassbox/enforce_net.h):
// exact; one '*' within a component (prefix, suffix); or a trailing "/**" (prefix ends in '/').
struct unix_shape {
    enum class kind { exact = 1, star = 2, subtree = 3 } type = kind::exact;
    std::string prefix, suffix;
};
// nullopt when the pattern needs more than that ('?', classes, several '*', "**" inside).
std::optional<unix_shape> unix_rule_shape(std::string_view pattern);

// The shape of a network.dns pattern the kernel-side matcher can judge: an exact name,
// "**.SUFFIX" (the suffix and every name under it) or "*.SUFFIX" (one label under it).
struct dns_shape {
    enum class kind { exact = 1, subtree = 2, onelabel = 3 } type = kind::exact;
    std::string name; // lower case, no trailing dot
};
std::optional<dns_shape> dns_rule_shape(std::string_view pattern);

// Compiles a parsed profile (docs/profile-format.md) into the policy. `notes` receives one sentence
// per profile rule that cannot be enforced as written.
policy policy_from_profile(std::shared_ptr<const profile::profile> prof, std::vector<std::string>& notes);

// The privileged operations the seccomp filter guards (names as in the trace's `priv` events).
const std::vector<std::string>& privileged_ops();

// One decision the sandbox took, as written into the trace's `violation` event.
struct violation {
    std::string section;    // files, exec, network, privileged, syscalls
    std::string what;       // short human description
    std::string syscall;    // the syscall attempted
    std::string path;       // file/exec/unix path when relevant
    std::string access;     // read, write, exec, ...
    std::string addr;       // network address when relevant
    int port = -1;
    std::string protocol;
    std::string name;       // network.dns: the queried name
    std::string action;     // denied, killed, allowed (complain)
    std::string mechanism;  // landlock, seccomp, seccomp-notify, cgroup-bpf
    int pid = 0, tid = 0;
    std::uint64_t ts_ns = 0; // CLOCK_MONOTONIC
};
using violation_sink = std::function<void(const violation&)>;

} // namespace glassbox::enforce
