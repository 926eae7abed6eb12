// Internal helpers shared by check.cpp, learn.cpp, diff.cpp and report.cpp (not a public API):
// matching one behaviour against a profile, aggregating normalised behaviours of a trace, and
// the generaliser learn and diff share.
#pragma once

#include <glassbox/analysis.hpp>

#include <deque>
#include <memory>
#include <tuple>
#include <map>
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

// An append-only sequence whose elements never move (callers keep pointers into it), stored in
// blocks of 1024: std::deque's 512-byte nodes hold four entries, so it allocated once per four
// distinct behaviours. pop_front frees each block once it is empty.
template <class T>
class stable_store {
    static constexpr std::size_t kBlock = 1024;

public:
    std::size_t size() const { return end_ - begin_; }
    bool empty() const { return end_ == begin_; }
    T& operator[](std::size_t i) { return at(begin_ + i); }
    const T& operator[](std::size_t i) const { return at(begin_ + i); }
    T& front() { return at(begin_); }
    T& emplace_back() {
        if (end_ / kBlock == blocks_.size())
            blocks_.push_back(std::make_unique<T[]>(kBlock));
        return at(end_++);
    }
    void pop_front() {
        at(begin_) = T{};
        ++begin_;
        if (begin_ % kBlock == 0)
            blocks_[begin_ / kBlock - 1].reset();
    }
    template <class S, class V>
    struct iter {
        S* s;
        std::size_t i;
        V& operator*() const { return s->at(i); }
        V* operator->() const { return &s->at(i); }
        iter& operator++() {
            ++i;
            return *this;
        }
        bool operator!=(const iter& o) const { return i != o.i; }
    };
    iter<stable_store, T> begin() { return {this, begin_}; }
    iter<stable_store, T> end() { return {this, end_}; }
    iter<const stable_store, const T> begin() const { return {this, begin_}; }
    iter<const stable_store, const T> end() const { return {this, end_}; }

private:
    T& at(std::size_t i) { return blocks_[i / kBlock][i % kBlock]; }
    const T& at(std::size_t i) const { return blocks_[i / kBlock][i % kBlock]; }
    std::vector<std::unique_ptr<T[]>> blocks_;
    std::size_t begin_ = 0, end_ = 0;
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
        std::uint32_t comm = 0, chain = 0, detail = 0, source = 0, syscall = 0; // string_pool ids
        section sec = section::unknown;
        const std::string& example_or_subject() const { return example.empty() ? subject : example; }
    };
    stable_store<entry> entries; // growing never moves entries (callers keep pointers)
    string_pool pool;

    entry& add(section s, std::string pattern, std::uint64_t trace_bit, bool* inserted = nullptr);
    // Index of the entry with this section and pattern, or -1.
    std::int64_t find(section s, std::string_view pattern) const;
    bool contains(section s, std::string_view pattern) const { return find(s, pattern) >= 0; }
    void drop_index() { slots_ = {}; }
    finding to_finding(const entry& e) const;
    // Moves the entries out (per section) and drops the index.
    std::vector<entry> take(section s);

private:
    // Open addressing, linear probing: each slot is the upper 32 bits of the hash (which also
    // pick the slot) and the entry index + 1; 0 is empty. One flat array instead of a node per
    // entry: a lookup costs one cache line, not a chain of heap nodes (measured: the node-based
    // map was a fifth of diff's time), and growing needs no rehashing of strings.
    std::vector<std::uint64_t> slots_;
    std::size_t used_ = 0;
    static std::uint32_t tag_of(section s, std::string_view pattern);
    std::size_t probe(std::uint32_t tag, section s, std::string_view pattern, bool& found) const;
    void grow();
};

// The places a run's paths depend on that are not the program's behaviour: the working
// directory, the command's path arguments, $HOME and $TMPDIR, each with a named placeholder
// ("<cwd>", "<arg1>", "<arg:--move>", "<home>", "<tmpdir>"). Built from a trace header; a path
// below a root is rewritten to start with its placeholder (the longest root wins).
class run_roots {
public:
    static run_roots from_header(const trace::header& h);
    static run_roots from_entries(std::vector<std::pair<std::string, std::string>> entries);
    // When `subject` (a path, or "unix PATH" for a network section) lies below a root, writes the
    // placeholder form into `out` and returns true.
    bool rewrite(section s, std::string_view subject, std::string& out) const;
    // {placeholder, path}, longest path first.
    const std::vector<std::pair<std::string, std::string>>& entries() const { return roots_; }
    bool empty() const { return roots_.empty(); }

private:
    void add(std::string name, std::string path);
    std::vector<std::pair<std::string, std::string>> roots_;
};

// Reads a whole trace, normalising every behaviour into `set` (bit `trace_bit`). `visit`, when
// set, sees every raw behaviour first and returns false to leave it out of the set.
// With `against`: behaviours whose normalised form is already in `against` are not added; their
// entry's bit is set in `seen` (sized like against->entries) instead.
// With `use_run_roots`: subjects below the trace's run roots get their placeholders first.
// `on_event`, when set, sees every event (after the process tree has).
result<input_info> collect(const std::filesystem::path& file, behaviour_set& set, std::uint64_t trace_bit,
                           std::vector<std::string>& warnings,
                           const std::function<bool(const behaviour&, const trace::event&)>& visit = {},
                           const behaviour_set* against = nullptr, std::vector<bool>* seen = nullptr,
                           bool use_run_roots = false,
                           const std::function<void(const trace::event&, const process_tree&)>& on_event = {});

// diff's post-processing, shared with review: many findings of one directory become one area
// finding; run-to-run noise the normaliser could not see in one path is cancelled (diff.cpp).
using has_behaviour = std::function<bool(section, std::string_view)>;
void group_areas(std::vector<finding>& v, std::size_t threshold = 8);
void cancel_volatile_pairs(std::vector<finding>& added, std::vector<finding>& removed, const has_behaviour& in_old,
                           const has_behaviour& in_new);

// Is this a trace (JSON Lines) rather than a profile (YAML)? Looks at the first bytes.
result<bool> looks_like_trace(const std::filesystem::path& file);

// Generaliser steps (docs/learning.md) on the entries of one section, in place; dead entries are
// removed. `all_traces` is the mask of every input.
void generalise_volatile(std::vector<behaviour_set::entry>& entries, std::uint64_t all_traces);
void collapse_directories(std::vector<behaviour_set::entry>& entries, std::size_t threshold);
void drop_subsumed(std::vector<behaviour_set::entry>& entries);

// Do two literal path patterns differ only in the random part of one name (same length, same
// position, 4-12 differing letters/digits ending a run, with the mix of random text on at least
// one side)? Pairs run-to-run noise in diff (docs/learning.md).
bool looks_volatile_pair(std::string_view a, std::string_view b);
// The pattern with one letters-only run of 6-12 bytes after a separator ('.', '-', '_', '#',
// '~') replaced by '*', for each such run: what the normaliser would have written had that
// mkstemp-style suffix contained a digit or a capital ("x-gwpxkm.db" -> "x-*.db").
std::vector<std::string> letter_run_star_forms(std::string_view pattern);

bool is_path_section(section s);

// Where a path walk is, for the positional normalisation rules (docs/learning.md).
struct path_context {
    enum top : std::uint8_t { other, proc, home, run, tmp };
    std::size_t k = 0; // index of the next component
    top first = other;
    bool second_is_user = false;
};
// Normalises the '/'-separated components `comps` (the text after a leading '/') into `out`.
void normalise_components(std::string& out, std::string_view comps, path_context& ctx);

// normalise_subject with a memo of normalised directories (direct-mapped, bounded): the same
// result, without re-normalising the directory part of every path. The returned reference is
// valid until the next call.
class subject_normaliser {
public:
    const std::string& operator()(section s, std::string_view subject);

private:
    struct dir_slot {
        std::string raw, normalised;
        path_context ctx;
        bool valid = false;
    };
    std::vector<dir_slot> dirs_ = std::vector<dir_slot>(256);
    std::string out_;
};

// diff_inputs with the size below which two traces are read in parallel into two full sets
// (above it NEW is streamed against OLD's set to bound memory); tests force either path.
result<diff_report> diff_inputs_bounded(const std::filesystem::path& old_input, const std::filesystem::path& new_input,
                                        std::uint64_t parallel_below_bytes, const diff_options& opts = {});

// The grouping behind group_areas (diff's findings) and review's area changes: entries of a path
// section (exec excluded) whose subjects share a directory and a `kind_of(entry)` are replaced,
// when there are at least `threshold` of them, by `merge(members, dir)` (one "dir/*" entry, made
// from their indexes into v); the others keep their order, the areas come after them.
template <class T, class KindOf, class Merge>
void group_by_directory(std::vector<T>& v, std::size_t threshold, KindOf kind_of, Merge merge) {
    std::map<std::tuple<std::string, section, std::string>, std::vector<std::size_t>> by_dir;
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (!is_path_section(v[i].sec) || v[i].sec == section::proc_exec)
            continue;
        auto slash = v[i].subject.rfind('/');
        if (slash == std::string::npos || slash == 0)
            continue;
        by_dir[{std::string(kind_of(v[i])), v[i].sec, v[i].subject.substr(0, slash)}].push_back(i);
    }
    std::vector<bool> dead(v.size(), false);
    std::vector<T> areas;
    for (auto& [key, members] : by_dir) {
        if (members.size() < threshold)
            continue;
        areas.push_back(merge(members, std::get<2>(key)));
        for (auto i : members)
            dead[i] = true;
    }
    std::vector<T> kept;
    for (std::size_t i = 0; i < v.size(); ++i)
        if (!dead[i])
            kept.push_back(std::move(v[i]));
    for (auto& a : areas)
        kept.push_back(std::move(a));
    v = std::move(kept);
}

} // namespace glassbox::analysis
