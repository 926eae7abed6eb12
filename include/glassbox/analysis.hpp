// The analysis engine behind `learn`, `check` and `diff`: turns trace events into behaviours
// (a rule section + a subject such as a path or an endpoint), normalises the run-to-run noise in
// them (docs/learning.md), and builds the reports. It reads traces only through
// <glassbox/trace_reader.hpp> and profiles only through <glassbox/profile.hpp>; memory grows
// with the number of distinct behaviours, not with the number of events.
#pragma once

#include <glassbox/error.hpp>
#include <glassbox/profile.hpp>
#include <glassbox/trace_reader.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace glassbox::analysis {

// Profile sections, in risk order (most dangerous first): reports sort by this.
enum class section : std::uint8_t {
    privileged,
    net_connect,
    net_bind,
    net_accept,
    net_dns,
    net_sockets,
    proc_exec,
    proc_cred,
    proc_prctl,
    proc_signal,
    proc_memfd,
    file_write,
    file_delete,
    file_metadata,
    file_exec,
    file_read,
    unknown, // an event type this glassbox does not know: never allowed
};
inline constexpr int kSectionCount = 17;
std::string_view section_name(section s);   // "network.connect", "files.read", "privileged", ...
std::string_view section_group(section s);  // "privileged", "network", "processes", "files", "unknown"
// Section of a rule list in a profile, by its YAML path; false when unknown.
bool section_from_name(std::string_view name, section& out);

// One action an event performed, as a rule subject in profile syntax: a path, "tcp 1.2.3.4:443",
// "unix /run/x.sock", a DNS name, "inet/stream", an operation name.
struct behaviour {
    section sec;
    std::string_view subject;            // valid during the callback only
    const profile::endpoint* ep = nullptr; // for network connect/bind/accept
};

// Does this event's action count (it happened, or it was attempted and refused)? See
// docs/profile-format.md: ret >= 0, or EACCES/EPERM/EINPROGRESS/EAGAIN/EALREADY.
bool counts_as_behaviour(const trace::event& e);

// Calls f(behaviour) for every behaviour of the event (none for fork/exit/close and for failed
// lookups). The extractor owns scratch buffers so no allocation happens per event.
class extractor {
public:
    void extract(const trace::event& e, const std::function<void(const behaviour&)>& f);

private:
    std::string endpoint_text_, socket_text_, path_text_[2];
    profile::endpoint ep_;
};

// Tracks the process tree from fork/exec events to name the chain behind an event.
class process_tree {
public:
    void observe(const trace::event& e);             // call for every event, in file order
    std::string chain(std::int64_t pid) const;       // "clamscan → sh → curl"

private:
    struct node {
        std::string name;
        std::int64_t parent = 0;
    };
    std::unordered_map<std::int64_t, node> nodes_;
};

// ---------------------------------------------------------------------------------------------
// Normalisation (docs/learning.md): subjects -> patterns that survive the next run.

// Escapes glob metacharacters so a literal subject matches only itself; invalid UTF-8 bytes
// become '?' (YAML cannot carry them).
std::string escape_glob(std::string_view literal);
// One path -> a pattern with its volatile parts generalised (/proc/<pid>, homes, uuids, hex,
// long numbers, versions, mkstemp suffixes, " (deleted)").
std::string normalise_path(std::string_view path);
// One file-name component (also memfd names) -> pattern.
std::string normalise_component(std::string_view name);
// Subject of a behaviour -> the pattern learn would write for it (paths normalised; endpoints,
// names and DNS kept exact, unix socket paths normalised).
std::string normalise_subject(section s, std::string_view subject);

// ---------------------------------------------------------------------------------------------
// Findings and reports.

// One distinct behaviour in a report, with where it first happened.
struct finding {
    section sec = section::unknown;
    std::string subject;        // normalised (diff) or exact (check)
    std::uint64_t count = 0;    // events
    std::string example;        // an exact subject it covers (diff: one example event)
    std::uint64_t first_line = 0;
    std::int64_t first_ts = 0;
    std::int64_t pid = 0;
    std::string comm;
    std::string chain;          // "clamscan → sh → curl"
    std::string detail;         // e.g. argv of an exec, errno of a refused attempt
    std::string source;         // which input it came from (file name)
};

struct input_info {
    std::string name;
    std::string kind;           // "trace" or "profile"
    std::uint64_t events = 0;
    bool complete = true;
    std::uint64_t lost = 0;
    std::vector<std::string> command;
    // The digest naming the trace (trace::reader::digest()): so a review can be traced back to
    // the exact evidence. digest_kind "chain" (the verified final digest) or "file".
    std::string digest, digest_kind;
    std::string partial; // trace::reader::partial_reason(): empty when complete
    std::string cwd, host, coverage_json; // trace header (coverage_json: "" when not stated)
    std::uint64_t duration_ns = 0;        // from the summary (0 when incomplete)
    // Run roots replaced by placeholders while reading ({"<cwd>", "/srv/w-old1"}, ...): empty
    // when root normalisation was off (docs/review.md).
    std::vector<std::pair<std::string, std::string>> roots;
};

struct check_report {
    input_info trace;
    std::string profile;
    std::vector<finding> violations; // sorted: section risk order, then subject
    std::uint64_t violating_events = 0;
    std::vector<std::string> warnings;
};

struct diff_report {
    input_info old_input, new_input;
    std::vector<finding> added;   // NEW does, OLD did not
    std::vector<finding> removed; // OLD did, NEW no longer does
    std::vector<std::string> warnings;
};

struct learn_options {
    std::string name;
    // Collapse a directory holding at least this many distinct files of one access kind into
    // dir/* or dir/** (0: never).
    std::size_t collapse_threshold = 16;
};

struct learn_result {
    std::string yaml;             // the profile text (deterministic)
    std::size_t rules = 0;
    std::vector<std::string> warnings;
    std::vector<input_info> inputs; // the traces it was learned from
};

result<check_report> check_trace(const profile::profile& p, std::string_view profile_name,
                                 const std::filesystem::path& trace);
result<learn_result> learn_profile(const std::vector<std::filesystem::path>& traces,
                                   const learn_options& opts);
struct diff_options {
    // Replace each trace's run roots (cwd, path arguments of the command, $HOME, $TMPDIR) with
    // named placeholders before comparing, so one version run in two folders diffs to nothing.
    bool run_roots = true;
};

// OLD and NEW may each be a trace or a profile (detected from the content).
result<diff_report> diff_inputs(const std::filesystem::path& old_input,
                                const std::filesystem::path& new_input, const diff_options& opts = {});

enum class report_format { text, json, markdown };
std::string render(const check_report& r, report_format f, bool colour);
std::string render(const diff_report& r, report_format f, bool colour);

} // namespace glassbox::analysis
