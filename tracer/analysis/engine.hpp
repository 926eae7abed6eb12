// Internal helpers shared by check.cpp, learn.cpp, diff.cpp and report.cpp (not a public API):
// matching one behaviour against a profile, aggregating normalised behaviours of a trace, and
// the generaliser learn and diff share.
#pragma once

#include <glassbox/analysis.hpp>

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

// Distinct normalised behaviours with counts, first occurrence and which inputs saw them.
struct behaviour_set {
    struct entry {
        finding f;               // f.subject is the normalised pattern, f.example a raw subject
        std::uint64_t traces = 0; // bit i: seen in input i
    };
    std::vector<entry> entries;
    std::unordered_map<std::string, std::size_t> index; // section byte + pattern -> entry

    entry& add(section s, std::string pattern, std::uint64_t trace_bit, bool* inserted = nullptr);
};

// Reads a whole trace, normalising every behaviour into `set` (bit `trace_bit`). `visit`, when
// set, sees every raw behaviour first and returns false to leave it out of the set.
result<input_info> collect(const std::filesystem::path& file, behaviour_set& set, std::uint64_t trace_bit,
                           std::vector<std::string>& warnings,
                           const std::function<bool(const behaviour&, const trace::event&)>& visit = {});

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

} // namespace glassbox::analysis
