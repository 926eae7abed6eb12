// The allowed-behaviour profile: the parsed model of a glassbox/v1 Profile YAML file
// (docs/profile-format.md) and the matchers that decide whether one observed action is allowed.
// Produced by `learn`, read by `check`/`diff` (analysis) and compiled into Landlock, seccomp and
// cgroup-BPF rules by `enforce`; `scan` emits the optional `syscalls:` list. Pure user space, no
// kernel objects: every matcher is a const function safe to call from several threads.
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace glassbox::profile {

// Where a rule or an error sits in the YAML source (1-based; 0 when unknown, e.g. built in code).
struct source_pos {
    int line = 0;
    int column = 0;
};

// A profile that cannot be used: "FILE:LINE:COLUMN: reason" via message().
struct load_error {
    std::string file;   // the profile's path or the name given to parse_profile
    source_pos pos;     // where the problem is
    std::string reason; // one line, e.g. "unknown key 'raed' in files (expected read, write, ...)"
    std::string message() const;
};

// ---------------------------------------------------------------------------------------------
// Glob over bytes with a component separator ('/' for paths, '.' for DNS names):
//   *      any run of bytes within one component (never the separator)
//   **     as a whole component: any number of components ("/a/**" matches /a and everything
//          below it; "/a/**/b" matches /a/b and /a/x/y/b); elsewhere same as *
//   ?      one byte except the separator
//   [abc] [a-z] [!a-z] [^a-z]  one byte in / not in the class (never the separator)
//   {a,b}  alternatives (may nest and contain other globs; expanded when compiled, at most 1024)
//   \x     the byte x literally
// Matching is on exact bytes (the reader decodes `_hex` sidecars), case-sensitive for paths.
class glob {
public:
    static std::expected<glob, std::string> compile(std::string_view text, char separator = '/');

    bool matches(std::string_view subject) const;
    const std::string& text() const { return text_; }
    // True when the pattern has no wildcard at all (one exact subject).
    bool is_literal() const { return literal_; }
    // The longest leading run of whole components with no wildcard, ending before the separator
    // that follows it: "/usr/lib/**/*.so" -> "/usr/lib"; "/etc/passwd" -> "/etc/passwd";
    // "/tmp/x*" -> "/tmp"; "{/a,/b}" -> "". For Landlock this is the directory (or file) the rule
    // reaches beneath. With {..} alternatives see alternatives().
    std::string literal_prefix() const;
    // The brace-free alternatives the pattern was expanded into (one when it has no braces).
    std::vector<std::string> alternatives() const;

    // Compiled form (internal; public only so the type is complete for copies).
    struct token {
        enum class op : std::uint8_t { lit, one, cls, star, any, anydirs, tail } kind;
        std::uint8_t ch = 0;      // lit: the byte
        std::uint16_t cls = 0;    // cls: index into classes
    };
    struct alternative {
        std::string source; // the alternative's text without braces
        std::string prefix; // literal bytes every match starts with (fast reject)
        std::vector<token> tokens;
        std::vector<std::array<std::uint64_t, 4>> classes; // 256-bit byte sets
        bool literal = true;
    };

private:
    bool match_alt(const alternative& a, std::string_view s) const;
    std::string text_;
    char sep_ = '/';
    bool literal_ = false;
    std::vector<alternative> alts_;
};

// ---------------------------------------------------------------------------------------------
// Network endpoints as observed in a trace (connect/sendto destination, bind address, accepted
// peer), and the rule syntax that allows them (docs/profile-format.md, "Endpoints").
struct endpoint {
    // "tcp", "udp", "raw", "sctp" (seqpacket) for inet/inet6; "unix"; else the family name
    // ("netlink", "packet", "af_N").
    std::string_view proto = {};
    std::string_view addr = {}; // inet: text form ("10.0.0.1", "2001:db8::1", "::ffff:1.2.3.4")
    int port = -1;           // inet: 0-65535
    std::string_view path = {}; // unix: filesystem socket path, or abstract name when abstract
    bool abstract = false;   // unix abstract socket (name without the leading NUL)
    bool unnamed = false;    // unix unnamed socket
};

class endpoint_pattern {
public:
    enum class kind {
        inet,          // PROTO ADDR[/LEN][:PORT[-PORT]]; PROTO any|tcp|udp|raw|sctp
        unix_path,     // unix /path/glob
        unix_abstract, // unix @name-glob
        unix_unnamed,  // unix unnamed
        family,        // netlink | packet | af_N (any address of that family)
    };
    static std::expected<endpoint_pattern, std::string> compile(std::string_view text);
    bool matches(const endpoint& e) const;
    const std::string& text() const { return text_; }

    // Public for compilers into cgroup-BPF / seccomp rules (enforce):
    kind type = kind::inet;
    std::string proto;                // inet: "any", "tcp", "udp", "raw", "sctp"; family: its name
    int ip_version = 0;               // inet: 0 any address, 4 or 6
    std::array<std::uint8_t, 16> addr{}; // network address (v4 in the first 4 bytes), masked
    int prefix_len = 0;               // CIDR length (0..32 / 0..128); 0 with ip_version 0 = any
    std::uint16_t port_lo = 0, port_hi = 65535; // inclusive port range; 0-65535 = any port
    std::optional<glob> name;         // unix path / abstract name glob

private:
    std::string text_;
};

// A DNS name pattern: labels separated by '.', case-insensitive, trailing dot ignored.
// "*" is one label ("*.example.com" = a.example.com, not a.b.example.com, not example.com),
// "**" any number of labels ("**.example.com" = example.com and every subdomain).
class dns_pattern {
public:
    static std::expected<dns_pattern, std::string> compile(std::string_view text);
    bool matches(std::string_view name) const;
    const std::string& text() const { return glob_.text(); }

private:
    glob glob_;
};

// Lower-cases and strips a trailing dot: the form DNS names are compared in.
std::string normalise_dns_name(std::string_view name);

// One allowed entry with where it was written.
template <typename Pattern>
struct rule {
    Pattern pattern;
    source_pos pos;
};
using path_rule = rule<glob>;
using endpoint_rule = rule<endpoint_pattern>;
using dns_rule = rule<dns_pattern>;
using name_rule = rule<std::string>; // exact names (privileged ops, cred syscalls, prctl options)

// File access kinds, one list each in `files:`.
enum class file_access {
    read,     // open for read / O_PATH, inotify watch
    write,    // open for write / create / truncate, mkdir, mknod, rename/link/symlink target
    exec,     // mapped executable (mmap PROT_EXEC: shared libraries, dlopen)
    remove,   // unlink, rmdir, rename source  (YAML key: delete)
    metadata, // chmod, chown, utimes, setxattr, removexattr
};
std::string_view to_string(file_access a); // the YAML key: read, write, exec, delete, metadata
inline constexpr file_access all_file_access[] = {file_access::read, file_access::write,
                                                  file_access::exec, file_access::remove,
                                                  file_access::metadata};

struct files_section {
    std::vector<path_rule> read, write, exec, remove, metadata;
    const std::vector<path_rule>& of(file_access a) const;
    std::vector<path_rule>& of(file_access a);
};

struct processes_section {
    std::vector<path_rule> exec;    // executables it may run (exec path; a script's interpreter too)
    std::vector<path_rule> memfd;   // memfd_create names
    std::vector<path_rule> signal;  // exe of processes outside the traced tree it may signal
    std::vector<name_rule> cred;    // setuid, setgid, setreuid, ..., setgroups, capset
    std::vector<name_rule> prctl;   // prctl options (PR_SET_SECCOMP, ...) and "seccomp"
};

struct network_section {
    std::vector<endpoint_rule> connect; // connect destinations and sendto datagram destinations
    std::vector<endpoint_rule> bind;    // local addresses bound or listened on
    std::vector<endpoint_rule> accept;  // peers accepted
    std::vector<dns_rule> dns;          // names it may resolve
    std::vector<path_rule> sockets;     // "FAMILY/TYPE" globs: "inet/stream", "netlink/*"
};

struct profile {
    std::string api_version = "glassbox/v1";
    std::string name;        // metadata.name
    std::string description; // metadata.description
    files_section files;
    processes_section processes;
    network_section network;
    std::vector<name_rule> privileged;                   // priv ops by name, and "abi32"
    std::optional<std::vector<name_rule>> syscalls;      // absent = no syscall allow-list

    // Matchers: the first rule that allows the action, or nullptr (not allowed).
    const path_rule* match_file(file_access access, std::string_view path) const;
    const path_rule* match_exec(std::string_view path) const;
    const path_rule* match_memfd(std::string_view name) const;
    const path_rule* match_signal(std::string_view target_exe) const;
    const endpoint_rule* match_connect(const endpoint& e) const;
    const endpoint_rule* match_bind(const endpoint& e) const;
    const endpoint_rule* match_accept(const endpoint& e) const;
    const dns_rule* match_dns(std::string_view name) const;
    const path_rule* match_socket(std::string_view family, std::string_view sock_type) const;
    const name_rule* match_privileged(std::string_view op) const;
    const name_rule* match_cred(std::string_view syscall) const;
    const name_rule* match_prctl(std::string_view option) const;

    // Boolean conveniences.
    bool allows_file_read(std::string_view path) const { return match_file(file_access::read, path); }
    bool allows_file_write(std::string_view path) const { return match_file(file_access::write, path); }
    bool allows_file_exec(std::string_view path) const { return match_file(file_access::exec, path); }
    bool allows_file_delete(std::string_view path) const { return match_file(file_access::remove, path); }
    bool allows_exec(std::string_view path) const { return match_exec(path); }
    // proto: "tcp", "udp", ...; addr: text form.
    bool allows_connect(std::string_view proto, std::string_view addr, int port) const;
    bool allows_bind(std::string_view proto, std::string_view addr, int port) const;
    bool allows_unix_connect(std::string_view path, bool abstract = false) const;
    bool allows_dns(std::string_view name) const { return match_dns(name); }
    bool allows_privileged(std::string_view op) const { return match_privileged(op); }
    // Only meaningful when syscalls is present; true when it is absent.
    bool allows_syscall(std::string_view name) const;
};

// Parse a profile from YAML text. `source_name` names it in errors. Unknown keys, wrong types,
// bad patterns and unknown names are errors with the line and column of the offending node.
std::expected<profile, load_error> parse_profile(std::string_view yaml,
                                                 std::string_view source_name = "<profile>");
// Read and parse a file (errors: cannot read, too large (> 16 MiB), or any parse error).
std::expected<profile, load_error> load_profile(const std::filesystem::path& file);

// Known names accepted in `privileged:`, `processes.cred:` (docs/profile-format.md).
const std::vector<std::string_view>& known_privileged_ops();
const std::vector<std::string_view>& known_cred_syscalls();

// The protocol name an inet socket of this sock_type is matched as ("stream" -> "tcp",
// "dgram" -> "udp", "raw" -> "raw", "seqpacket" -> "sctp"); for other families the family name.
std::string_view endpoint_proto(std::string_view family, std::string_view sock_type);

} // namespace glassbox::profile
