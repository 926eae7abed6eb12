// Internal helpers shared by check.cpp, learn.cpp, diff.cpp and report.cpp (not a public API):
// matching one behaviour against a profile, aggregating normalised behaviours of a trace, and
// the generaliser learn and diff share.
#pragma once

#include <glassbox/analysis.hpp>

#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

namespace glassbox::analysis {

// Does the profile allow this behaviour? `rule` (optional) receives the matching rule.
bool allowed_by(const profile::profile& p, const behaviour& b, const void** rule);
// Short human description of an event for reports (argv, access, refused errno).
std::string event_detail(const trace::event& e);
// UTF-8-clean copy (invalid or control bytes become '?').
std::string sanitise(std::string_view s);
void sort_findings(std::vector<finding>& v);
input_info info_of(const trace::reader& r);

// Interned strings (process names, chains, details, input names): findings repeat them a lot.
struct string_pool {
    std::deque<std::string> strings{std::string()}; // a deque: the index's views stay valid
    std::unordered_map<std::string_view, std::uint32_t> ids;
    std::uint32_t id(std::string_view s);
    const std::string& get(std::uint32_t i) const { return strings[i]; }
};

// Distinct normalised behaviours with counts, first occurrence and which inputs saw them.
// Entries are kept small (they are what memory grows with): repeated strings are pool ids.
struct behaviour_set {
    struct entry {
        std::string subject;  // normalised pattern
        std::string example;  // an exact subject it covers; empty when equal to `subject`
        std::uint64_t count = 0, first_line = 0;
        std::uint64_t traces = 0; // bit i: seen in input i
        std::int64_t first_ts = 0, pid = 0;
        std::uint32_t comm = 0, chain = 0, detail = 0, source = 0; // string_pool ids
        section sec = section::unknown;
        const std::string& example_or_subject() const { return example.empty() ? subject : example; }
    };
    std::deque<entry> entries; // a deque: growing never moves entries (the index points into them)
    std::unordered_map<std::string_view, std::uint32_t> index[kSectionCount];
    string_pool pool;

    entry& add(section s, std::string pattern, std::uint64_t trace_bit, bool* inserted = nullptr);
    finding to_finding(const entry& e) const;
    // Moves the entries out (per section) and drops the index.
    std::vector<entry> take(section s);
};

// Reads a whole trace, normalising every behaviour into `set` (bit `trace_bit`). `visit`, when
// set, sees every raw behaviour first and returns false to leave it out of the set.
// With `against`: behaviours whose normalised form is already in `against` are not added; their
// entry's bit is set in `seen` (sized like against->entries) instead.
result<input_info> collect(const std::filesystem::path& file, behaviour_set& set, std::uint64_t trace_bit,
                           std::vector<std::string>& warnings,
                           const std::function<bool(const behaviour&, const trace::event&)>& visit = {},
                           const behaviour_set* against = nullptr, std::vector<bool>* seen = nullptr);

// Is this a trace (JSON Lines) rather than a profile (YAML)? Looks at the first bytes.
result<bool> looks_like_trace(const std::filesystem::path& file);

// Generaliser steps (docs/learning.md) on the entries of one section, in place; dead entries are
// removed. `all_traces` is the mask of every input.
void generalise_volatile(std::vector<behaviour_set::entry>& entries, std::uint64_t all_traces);
void collapse_directories(std::vector<behaviour_set::entry>& entries, std::size_t threshold);
void drop_subsumed(std::vector<behaviour_set::entry>& entries);

// Do two path patterns differ only by one volatile-looking component (same length and
// punctuation, a differing run of at least 4 bytes)? Used to pair run-to-run noise in diff.
bool looks_volatile_pair(std::string_view a, std::string_view b);

bool is_path_section(section s);

// diff_inputs with the size below which two traces are read in parallel into two full sets
// (above it NEW is streamed against OLD's set to bound memory); tests force either path.
result<diff_report> diff_inputs_bounded(const std::filesystem::path& old_input, const std::filesystem::path& new_input,
                                        std::uint64_t parallel_below_bytes);

} // namespace glassbox::analysis
