// glassbox scan: the static capability surface of a program's ELF binaries (what their machine code
// could do, independent of any trace), the difference between two versions of it, a syscall
// allow-list for a profile, and a soundness check of the surface against a recorded trace.
// Data path: files -> elf_reader (libelf) -> disassembler (Capstone) -> binary_analysis (per file,
// cached) -> binary_report (file + resolved dependencies) -> text/JSON/markdown/YAML output.
// No kernel objects, no privileges; every input file is untrusted.
#pragma once

#include <glassbox/error.hpp>

#include <nlohmann/json_fwd.hpp>

#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace glassbox::scan {

// ---- syscalls
// ------------------------------------------------------------------------------------

// Which kernel entry table a number belongs to: `syscall` uses x86-64 numbers, `int 0x80` and
// `sysenter` the i386 ones (reachable from 64-bit code: a classic way around 64-bit-only filters),
// x32 is `syscall` with bit 30 set.
enum class abi { x86_64, i386, x32 };
std::string_view abi_name(abi a);

enum class category { file, process, network, privileged, other };
std::string_view category_name(category c);
inline constexpr category all_categories[] = {category::privileged, category::process,
                                              category::network, category::file, category::other};

struct syscall_id {
    abi table = abi::x86_64;
    int nr = 0;
    auto operator<=>(const syscall_id&) const = default;
};

// "openat"; for i386/x32 numbers the name in that table; "" when the number is unassigned.
std::string_view syscall_name(abi table, int nr);
// "openat" for x86-64, "i386:execve", "x32:read", "x86_64:#999" when unknown: unique and stable.
std::string syscall_label(syscall_id id);
// The number of a name in `table` (x86-64 by default; x32 uses the x86-64 names), nullopt when
// unknown. The one name -> number lookup: the inverse of syscall_name.
std::optional<int> syscall_number(std::string_view name, abi table = abi::x86_64);
category syscall_category(std::string_view name);
// Sensitive: what a reviewer must see (privileged operations, exec, credential changes, raw
// network access, ...). Used for --diff ranking and for --against "never exercised".
bool syscall_sensitive(std::string_view name);
// Risk weight used to rank diff findings (privileged 100 ... other 1).
int syscall_risk(std::string_view name);

// The x86-64 syscalls a libc function may make (glibc 2.36 on x86-64, generous on purpose:
// every syscall the wrapper or its fallbacks can issue). Empty when the function is unknown or
// makes no syscall.
const std::vector<std::string_view>& libc_function_syscalls(std::string_view function);
// Imports a reviewer must see when they appear (ptrace, init_module, dlopen, execve, ...).
bool sensitive_import(std::string_view function);

// ---- one binary
// ----------------------------------------------------------------------------------

// A place in the code that makes a syscall: an instruction (`syscall`, `sysenter`, `int 0x80`),
// or a call to a function that takes the syscall number as an argument (libc's syscall(), or a
// local wrapper found to do so).
struct site {
    std::uint64_t address = 0;
    std::string function; // "main+0x1c", "fn_0x401000+0x8" (stripped), "" when unknown
    std::string
        instruction; // "syscall", "sysenter", "int 0x80", "call syscall", "jmp syscall", ...
    abi table = abi::x86_64;
    std::vector<std::int64_t> numbers; // recovered numbers (several when paths merge)
    bool resolved = false;
    bool dispatcher = false; // the number is a parameter: resolved at the callers instead
    std::string note;        // why unresolved, or which argument carries the number
};

// A socket() call whose family and type were traced back like syscall numbers: raw and packet
// sockets (sniffing, spoofing) and netlink (kernel configuration) are what a reviewer must see.
struct socket_use {
    std::uint64_t address = 0;
    std::string function;
    std::string via;                    // "call socket", "syscall", "call syscall", ...
    std::vector<std::int64_t> families; // AF_* values recovered (empty: unknown)
    std::vector<std::int64_t> types;    // SOCK_* values, flags masked off (empty: unknown)
};
// "packet/raw", "inet/stream", "netlink/dgram", "unknown/unknown": every family x type pair.
std::vector<std::string> socket_kinds(const socket_use& s);
// packet sockets, raw sockets of any family, netlink.
bool socket_kind_sensitive(std::string_view kind);

struct dependency {
    std::string name;        // as written (DT_NEEDED entry, interpreter path, dlopen string)
    std::string path;        // resolved host path; "" when not found
    std::string via;         // "needed", "interpreter", "dlopen"
    std::string required_by; // the object whose entry named it
};

// Evidence that a syscall is reachable: a site in this binary, an imported function, or a library.
struct evidence {
    std::string kind; // "site", "import", "dependency"
    std::string
        detail; // "0x401136 in main (syscall)", "open", "/usr/lib/x86_64-linux-gnu/libc.so.6"
    auto operator<=>(const evidence&) const = default;
};

using surface = std::map<syscall_id, std::vector<evidence>>;

struct binary_report {
    std::string path;
    std::string
        error; // non-empty: the file could not be scanned (one line); fields below may be empty
    std::uint64_t size = 0;
    std::string sha256;
    std::string arch, type;
    bool stripped = false;
    std::string function_source;
    std::size_t functions = 0;
    std::string interpreter, soname;
    std::vector<std::string> needed, runpath, rpath, imports, dlopen_names, exports;
    std::vector<std::string> warnings;
    std::vector<dependency> dependencies; // transitive closure, resolved like ld.so
    std::vector<site> sites;
    std::vector<socket_use> sockets; // socket()/socketpair() uses in the binary's own code
    std::vector<std::string>
        dispatchers;                  // exported functions taking the syscall number as argument
    std::size_t unresolved_sites = 0; // sites with unknown numbers (not counting dispatchers)
    std::size_t dependency_unresolved_sites = 0;
    // own: the binary's code and the libc functions it imports; all: own plus every dependency's
    // own surface (a sound over-approximation of what the process image can reach).
    surface own, all;
};

struct scan_options {
    std::string sysroot; // resolve absolute dependency paths and ld.so.conf inside this root
    bool follow_dependencies = true;
    bool progress = false;      // progress line on stderr (TTY only)
    bool include_dlopen = true; // resolve dlopen'ed names found as strings into the closure
};

struct scan_stats {
    std::size_t files_seen = 0; // regular files visited under directories
    std::size_t non_elf = 0;    // skipped without a message (inside directories)
    std::size_t scanned = 0;
    std::size_t failed = 0;
};

class scanner {
  public:
    explicit scanner(scan_options opts);
    ~scanner();
    scanner(const scanner&) = delete;
    scanner& operator=(const scanner&) = delete;

    // One file: never throws for bad input; the report's error says what was wrong.
    binary_report scan_file(const std::string& path);
    // Files and directories (every ELF file below a directory; non-ELF files there are skipped and
    // counted). A named file that is not ELF is reported with an error. `relative` gets the path
    // of each report relative to the directory it came from (for --diff matching).
    std::vector<binary_report> scan_paths(const std::vector<std::string>& paths, scan_stats& stats,
                                          std::vector<std::string>* relative = nullptr);

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// ---- output
// --------------------------------------------------------------------------------------

nlohmann::json report_json(const std::vector<binary_report>& reports, const scan_stats& stats);
std::string report_text(const std::vector<binary_report>& reports, const scan_stats& stats,
                        bool colour, bool verbose);
// A glassbox/v1 Profile YAML document whose `syscalls:` list is the union of the reports' `all`
// surfaces (x86-64 names only: a seccomp allow-list for the native ABI).
std::string profile_yaml(const std::vector<binary_report>& reports, const std::string& name);

// ---- diff
// ----------------------------------------------------------------------------------------

struct diff_finding {
    int risk = 0; // higher first
    std::string
        kind; // added-binary, removed-binary, changed, new-syscall, new-syscall-via-dependency,
              // removed-syscall, new-sensitive-import, new-import, new-dependency, new-dlopen,
              // new-unresolved-sites, new-abi32-site
    std::string binary;  // relative path (or file name)
    std::string subject; // syscall / import / library name
    std::string detail;
    bool new_capability = false; // NEW can do something OLD could not
};

struct diff_result {
    std::vector<diff_finding> findings; // ranked
    std::size_t old_binaries = 0, new_binaries = 0;
    bool new_capability = false;
};

diff_result diff_reports(const std::vector<binary_report>& old_reports,
                         const std::vector<std::string>& old_rel,
                         const std::vector<binary_report>& new_reports,
                         const std::vector<std::string>& new_rel);
nlohmann::json diff_json(const diff_result& d);
std::string diff_text(const diff_result& d, bool colour);
std::string diff_markdown(const diff_result& d);

// ---- against a trace
// -----------------------------------------------------------------------------

struct observed_syscall {
    std::string name;      // syscall label (as syscall_label)
    std::size_t count = 0; // events
    std::string example;   // one event type that implied it
};

struct against_result {
    std::string binary;
    std::size_t events_matched = 0; // events attributed to the binary
    bool trace_complete = true;
    std::string trace_partial;            // trace::reader::partial_reason(): empty when complete
    std::string trace_digest, trace_digest_kind; // trace::reader::digest(), digest_kind()
    std::vector<observed_syscall> observed; // what the trace saw the binary do
    std::vector<std::string> missing;       // observed but not in the static surface (soundness!)
    std::vector<std::string>
        not_exercised; // sensitive, statically reachable (own surface), never seen
    std::vector<std::string> warnings;
};

// Reads a trace (docs/trace-format.md) and checks every syscall attributed to `report`'s binary
// (events whose process was running that executable) against its `all` surface.
result<against_result> check_against(const binary_report& report, const std::string& trace_path);
nlohmann::json against_json(const against_result& r);
std::string against_text(const against_result& r, bool colour);

// ---- small utilities
// -----------------------------------------------------------------------------

std::string sha256_hex(const void* data, std::size_t size);

} // namespace glassbox::scan
