// glassbox review: one update review from the old version's runs, the new version's runs, the
// allowed profile and (optionally) both versions' packages. It joins what diff, check and
// scan --diff each say into one dossier: a verdict, every change ranked by risk with its evidence,
// the static and observed views side by side, and the traces' own integrity. The dossier renders
// as text, Markdown, JSON (docs/review.md: stable fields) or one self-contained HTML file.
// Reads traces through <glassbox/trace_reader.hpp> and packages through <glassbox/scan.hpp>.
#pragma once

#include <glassbox/analysis.hpp>
#include <glassbox/error.hpp>
#include <glassbox/scan.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace glassbox::analysis {

struct review_options {
    std::vector<std::filesystem::path> old_traces, new_traces; // one or more runs each (at most 32)
    std::optional<std::filesystem::path> profile;              // the allowed profile
    // Each version's package: a folder, an ELF file, or a .deb (read with libarchive).
    std::optional<std::filesystem::path> old_package, new_package;
    bool run_roots = true; // placeholders for cwd, path arguments, $HOME, $TMPDIR
    std::string title;     // shown at the top ("clamav 1.4.3 -> 1.4.6"); default from the inputs
    unsigned threads = 2;  // traces read in parallel
};

// Where a change was first seen: the evidence a reviewer opens.
struct review_evidence {
    std::string file;          // trace file
    std::uint64_t line = 0;    // line in it (1-based)
    std::int64_t ts = 0;       // ns since the trace started
    std::int64_t pid = 0;
    std::string comm, chain;   // "clamscan → sh → curl"
    std::string operation;     // "renameat2 RENAME_NOREPLACE a -> b", "openat for write, create"
    std::string example;       // the exact subject (before normalisation)
};

struct review_change {
    std::string id;                 // "c1", "c2", ... in rank order (HTML anchors, JSON references)
    std::string change;             // "new" or "gone"
    section sec = section::unknown;
    std::string subject;            // normalised, run roots as placeholders
    int risk = 0;                   // 0-200, higher first
    std::vector<std::string> why;   // what the risk is made of, one short phrase each
    std::uint64_t count = 0;        // events, over all runs of its side
    unsigned runs_seen = 0, runs_total = 0; // stability: runs of its side that show it
    std::uint64_t runs_mask = 0;    // bit i: run i of its side shows it
    bool outside_profile = false;   // "new" only: the profile does not allow it
    std::string syscall;            // the syscall of the first occurrence ("" when the trace omits it)
    std::string static_view;        // the join with scan --diff ("renameat2 newly reachable in ...")
    review_evidence first;
};

// One syscall seen from both sides: scan's surface and the traces.
struct review_join {
    // "reachable-and-observed": newly reachable statically, and the new runs do it;
    // "observed-not-reachable-before": a new behaviour whose syscall the old binaries could not reach;
    // "reachable-not-observed": newly reachable, never seen in the new runs (worth a test scenario).
    std::string kind;
    std::string syscall, binary, static_evidence;
    std::string change_id; // the observed change it pairs with ("" when none)
    std::uint64_t observed = 0; // events of the new runs made with this syscall
};

struct review_trace {
    std::string side;      // "old" or "new"
    input_info info;
    std::vector<std::string> gaps; // integrity and coverage gaps, one sentence each
};

struct review_process {
    std::int64_t pid = 0, ppid = 0;
    std::string name, argv;
    std::int64_t ts = 0; // first seen
    bool root = false;
};

// Events per family over the run, in equal time bins.
struct review_timeline {
    std::string trace, side;
    std::uint64_t bin_ns = 0;
    std::vector<std::string> families; // "process", "file", "network", "privileged"
    std::vector<std::vector<std::uint64_t>> counts; // [family][bin]
};

struct review_report {
    std::string title;
    // Verdict.
    bool new_behaviour = false, violations = false, new_static_capability = false, integrity_gaps = false;
    bool static_compared = false; // packages were given
    std::vector<review_trace> traces;
    std::vector<review_change> changes; // ranked: risk, then new before gone, then subject
    // The new runs against the profile, merged over runs: subjects normalised with run roots as
    // placeholders (the example is an exact one), evidence from the first run that showed it.
    std::vector<finding> violations_list;
    std::string profile;
    scan::diff_result static_diff;
    std::string old_package, new_package;
    std::vector<review_join> join;
    std::vector<review_process> processes; // first new run's process tree
    std::vector<review_timeline> timelines; // first old and first new run
    std::vector<std::string> warnings;
    // CI gate: 0 nothing to review, 1 something to review (new behaviour, violations, new static
    // capability, or an integrity gap).
    int exit_status() const;
    std::string verdict_line() const;
};

result<review_report> review(const review_options& opts);

enum class review_format { text, markdown, json, html };
std::string render_review(const review_report& r, review_format f, bool colour);

// A package as a folder of files to scan: a folder or file is used as it is; a .deb is unpacked
// (its data.tar.* member, read with libarchive) into a fresh folder under `scratch`.
result<std::filesystem::path> package_tree(const std::filesystem::path& package, const std::filesystem::path& scratch);

} // namespace glassbox::analysis
