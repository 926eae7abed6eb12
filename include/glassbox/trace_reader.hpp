// Streaming reader for glassbox trace files (docs/trace-format.md, JSON Lines version 1).
// It is the analysis side's only view of a trace: learn, check, diff (and scan --against) pull one
// event at a time, so memory stays constant however long the trace is. Lines are parsed with
// simdjson On-Demand; header problems, unknown versions, malformed or oversized lines are errors
// naming the line; a trace without its summary is read, marked incomplete and described
// (partial_reason()). The hash chain (trace_chain.hpp) is checked at every checkpoint: an edited
// trace is an error naming the checkpoint where the chain breaks.
#pragma once

#include <glassbox/error.hpp>
#include <glassbox/event_kinds.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace glassbox::trace {

inline constexpr int kTraceVersion = 1;
// A line longer than this is an error (the recorder bounds paths and argv far below it).
inline constexpr std::size_t kMaxLineBytes = 16u << 20;

struct header {
    int version = 0;
    std::string glassbox_version, mode, cwd, host, kernel, start_wall, cgroup;
    std::vector<std::string> command;
    std::int64_t start_ns = 0;
    std::int64_t root_pid = 0;
    // The run's $HOME and $TMPDIR when the header's "env" object states them (review's run roots).
    std::string home, tmpdir;
    // The header's "coverage" object as JSON text ("" when absent): which families were observed.
    std::string coverage_json;
};

struct summary {
    std::uint64_t events = 0;
    std::uint64_t lost = 0;
    std::uint64_t duration_ns = 0;
    std::optional<std::int64_t> exit_code, exit_signal;
    std::string ended_by;
};

// One event. Every string_view points into the reader and stays valid only until the next call
// to reader::next(). Absent and null string fields are empty; absent integers are `missing`.
struct event {
    static constexpr std::int64_t missing = INT64_MIN;

    std::uint64_t line = 0;      // 1-based line in the file
    std::string_view type;       // as written
    gb_event_kind kind = GB_EV_NONE; // GB_EV_NONE: a type this reader does not know
    event_category category = event_category::unknown;

    std::int64_t ts = 0, pid = 0, tid = 0, ppid = 0, uid = missing, euid = missing;
    std::string_view comm, exe;
    std::int64_t ret = missing;  // missing when the event carries no result
    std::string_view err;        // errno name when ret < 0 ("ENOENT")
    std::string_view via;        // "", "io_uring", "abi32"

    // Paths (exact bytes: `_hex` sidecars are already applied).
    std::string_view path, raw_path, old_path, new_path, interpreter, cwd;
    bool path_truncated = false;

    // file
    std::string_view access;     // open: read, write, read-write, path
    std::int64_t flags = missing, mode = missing; // the syscall's flags (O_*, RENAME_*, AT_*) and mode
    bool create = false, truncate = false;

    // process
    std::vector<std::string_view> argv; // exec
    std::string_view fileless;   // exec: "", "memfd", "deleted", "fd"
    std::int64_t child_pid = missing; // fork
    bool thread = false;         // fork / exit
    std::int64_t exit_code = missing, signal = missing; // exit
    std::string_view syscall;    // exec, cred, signal, ... (the syscall used)
    std::int64_t nr = missing;   // abi32: the i386 syscall number
    std::string_view option;     // prctl
    std::int64_t target_pid = missing;
    std::string_view target_exe; // signal, ptrace, process_vm_*

    // network
    std::string_view family, sock_type, addr, abstract;
    std::int64_t port = missing;
    bool unnamed = false;
    std::string_view name;       // dns query name, memfd name, xattr name, delete_module name
    std::string_view qtype;      // dns

    // privileged
    std::string_view op;         // priv
    std::string_view target;     // mount target

    // True when the event's action happened: ret absent or >= 0.
    bool succeeded() const { return ret == missing || ret >= 0; }
};

struct read_stats {
    std::uint64_t lines = 0;
    std::uint64_t events = 0;
    std::uint64_t unknown_types = 0;
};

class reader {
public:
    // Opens and validates the header ("-" reads standard input). Errors: cannot open, empty file,
    // line 1 not a header, wrong format, unknown version.
    static result<std::unique_ptr<reader>> open(const std::filesystem::path& file);
    ~reader();
    reader(const reader&) = delete;
    reader& operator=(const reader&) = delete;

    // The next event, nullptr at the end (after the summary or at end of file), or an error
    // ("FILE:LINE: reason") for a malformed line, an oversized line, data after the summary.
    result<const event*> next();

    const header& trace_header() const { return header_; }
    // The summary line, once next() has returned nullptr; absent for an incomplete trace.
    const std::optional<summary>& trace_summary() const { return summary_; }
    // False until the summary has been read.
    bool complete() const { return summary_.has_value(); }
    const read_stats& stats() const { return stats_; }
    // Problems that did not stop reading (incomplete trace, cut last line, lost events), each a
    // full sentence; also logged with spdlog::warn as they happen.
    const std::vector<std::string>& warnings() const { return warnings_; }
    const std::string& name() const { return name_; }
    // Once next() returned nullptr: empty for a complete trace, else one sentence saying that it
    // is partial, how it ended and how much of it its hash chain verifies ("FILE is PARTIAL: no
    // summary line, it ends after line 812 (last event at 2.417 s); its hash chain verifies
    // lines 1-801 ..."). Commands refuse such a trace unless told to accept it.
    const std::string& partial_reason() const { return partial_; }
    // Once next() returned nullptr: the digest naming this trace in reports. "chain": the final
    // digest of a complete chained trace, verified while reading (docs/trace-format.md);
    // "file": the SHA-256 of the bytes read (an unchained or partial trace).
    const std::string& digest() const { return digest_; }
    const std::string& digest_kind() const { return digest_kind_; }

    struct impl;

private:
    reader() = default;
    void end_of_trace(std::string how); // how: empty when complete
    std::unique_ptr<impl> impl_;
    std::string partial_;
    std::string digest_, digest_kind_;
    header header_;
    std::optional<summary> summary_;
    read_stats stats_;
    std::vector<std::string> warnings_;
    std::string name_;
};

} // namespace glassbox::trace
