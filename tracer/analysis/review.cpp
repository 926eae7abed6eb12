// review: the analysis behind `glassbox review`. Reads every run of both versions in parallel
// (the learn/diff collector, with run roots as placeholders), checks the new runs against the
// profile in the same pass, merges the runs into changes with their stability, ranks them by risk,
// joins them with scan's static diff of the two packages, and states each trace's integrity and
// coverage as its header and summary do. Rendering is in review_render.cpp / review_html.cpp.
#include "engine.hpp"

#include <glassbox/review.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <bit>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

namespace glassbox::analysis {

namespace {

constexpr std::size_t kMaxRuns = 32;       // per side: one bit per run in a 64-bit mask
constexpr std::size_t kTimelineBins = 120; // the timeline is read by eye: more bins add nothing
constexpr std::size_t kMaxProcesses = 2000;

const char* const kFamilies[] = {"process", "file", "network", "privileged"};

// Events per family in kTimelineBins bins whose width doubles (merging pairs) whenever a later
// event falls past the end: one pass, no knowledge of the duration in advance.
struct timeline_builder {
    std::uint64_t width = 1'000'000; // 1 ms
    std::vector<std::vector<std::uint64_t>> counts =
        std::vector<std::vector<std::uint64_t>>(4, std::vector<std::uint64_t>(kTimelineBins, 0));
    void add(std::int64_t ts, event_category c) {
        int f = c == event_category::process ? 0 : c == event_category::file ? 1 : c == event_category::network ? 2
                : c == event_category::privileged                            ? 3
                                                                              : -1;
        if (f < 0)
            return;
        auto t = static_cast<std::uint64_t>(std::max<std::int64_t>(ts, 0));
        while (t / width >= kTimelineBins) {
            for (auto& row : counts) {
                for (std::size_t i = 0; i < kTimelineBins / 2; ++i)
                    row[i] = row[2 * i] + row[2 * i + 1];
                std::fill(row.begin() + kTimelineBins / 2, row.end(), 0);
            }
            width *= 2;
        }
        ++counts[static_cast<std::size_t>(f)][t / width];
    }
};

// One trace read: its behaviours and what the dossier needs beside them.
struct trace_pass {
    std::filesystem::path file;
    bool is_new = false;
    bool want_tree = false, want_timeline = false;
    behaviour_set set;
    input_info info;
    std::vector<std::string> warnings;
    std::optional<error> failed;
    std::map<std::string, std::uint64_t, std::less<>> syscalls; // syscall name -> events
    timeline_builder timeline;
    std::vector<review_process> processes;
    std::unordered_map<std::int64_t, std::size_t> process_index;
    std::vector<finding> violations; // raw subjects outside the profile (new runs)
    std::unordered_map<std::string, std::size_t> violation_index;
    std::uint64_t header_root_pid = 0;
};

void read_trace(trace_pass& t, const profile::profile* prof, bool roots) {
    std::string key;
    std::vector<std::size_t> pending_chain; // violations of the current event: chain filled after
    // A direct-mapped memo of the profile's answer per raw subject: scans repeat paths a lot.
    struct memo_slot {
        std::string key;
        bool allowed = false, valid = false;
    };
    std::vector<memo_slot> memo(prof && t.is_new ? 4096 : 0);
    std::string_view last_syscall;
    std::map<std::string, std::uint64_t, std::less<>>::iterator last_it = t.syscalls.end();
    auto visit = [&](const behaviour& b, const trace::event& e) {
        if (memo.empty())
            return true;
        key.assign(1, static_cast<char>(b.sec)).append(b.subject);
        auto& m = memo[std::hash<std::string>{}(key) & (memo.size() - 1)];
        bool allowed;
        if (m.valid && m.key == key) {
            allowed = m.allowed;
        } else {
            allowed = allowed_by(*prof, b, nullptr);
            m.key = key;
            m.allowed = allowed;
            m.valid = true;
        }
        if (allowed)
            return true;
        auto [it, inserted] = t.violation_index.try_emplace(key, t.violations.size());
        if (!inserted) {
            ++t.violations[it->second].count;
            return true;
        }
        finding f;
        f.sec = b.sec;
        f.subject = sanitise(b.subject);
        f.example = f.subject;
        f.count = 1;
        f.first_line = e.line;
        f.first_ts = e.ts;
        f.pid = e.pid;
        f.comm = sanitise(e.comm);
        f.detail = event_detail(e);
        f.source = t.file.string();
        t.violations.push_back(std::move(f));
        pending_chain.push_back(t.violations.size() - 1);
        return true;
    };
    auto on_event = [&](const trace::event& e, const process_tree& tree) {
        for (auto i : pending_chain)
            t.violations[i].chain = sanitise(tree.chain(t.violations[i].pid));
        pending_chain.clear();
        if (!e.syscall.empty()) {
            if (last_it == t.syscalls.end() || e.syscall != last_syscall) {
                last_it = t.syscalls.find(e.syscall);
                if (last_it == t.syscalls.end())
                    last_it = t.syscalls.emplace(std::string(e.syscall), 0).first;
                last_syscall = last_it->first;
            }
            ++last_it->second;
        }
        if (t.want_timeline)
            t.timeline.add(e.ts, e.category);
        if (!t.want_tree || t.processes.size() >= kMaxProcesses)
            return;
        auto node = [&](std::int64_t pid, std::int64_t ppid, std::string_view name) -> review_process& {
            auto [it, inserted] = t.process_index.try_emplace(pid, t.processes.size());
            if (inserted) {
                review_process p;
                p.pid = pid;
                p.ppid = ppid;
                p.name = sanitise(name);
                p.ts = e.ts;
                p.root = static_cast<std::uint64_t>(pid) == t.header_root_pid;
                t.processes.push_back(std::move(p));
            }
            return t.processes[it->second];
        };
        if (e.pid > 0 && !t.process_index.contains(e.pid))
            node(e.pid, e.ppid, e.exe.empty() ? e.comm : std::string_view(e.exe).substr(e.exe.rfind('/') + 1));
        if (e.kind == GB_EV_FORK && !e.thread && e.child_pid > 0) {
            auto parent_name = t.processes[t.process_index[e.pid]].name;
            node(e.child_pid, e.pid, parent_name);
        } else if (e.kind == GB_EV_EXEC && e.succeeded() && !e.path.empty()) {
            auto& p = node(e.pid, e.ppid, e.comm);
            auto slash = e.path.rfind('/');
            p.name = sanitise(e.path.substr(slash == std::string_view::npos ? 0 : slash + 1));
            std::string argv;
            for (auto a : e.argv) {
                if (argv.size() > 200) {
                    argv += " ...";
                    break;
                }
                argv += argv.empty() ? "" : " ";
                argv += a;
            }
            p.argv = sanitise(argv);
        }
    };
    {
        auto rd = trace::reader::open(t.file);
        if (rd)
            t.header_root_pid = static_cast<std::uint64_t>((*rd)->trace_header().root_pid);
    }
    auto info = collect(t.file, t.set, 1, t.warnings, visit, nullptr, nullptr, roots, on_event);
    if (!info) {
        t.failed = info.error();
        return;
    }
    t.info = std::move(*info);
}

// Integrity and coverage gaps of one trace, as its header and summary state them.
std::vector<std::string> gaps_of(const input_info& i) {
    std::vector<std::string> gaps;
    if (!i.complete)
        gaps.push_back(fmt::format("{}: incomplete (no summary line): the recording did not finish", i.name));
    if (i.lost)
        gaps.push_back(fmt::format("{}: the kernel lost {} events while recording", i.name, i.lost));
    if (!i.coverage_json.empty()) {
        auto c = nlohmann::json::parse(i.coverage_json, nullptr, false);
        if (c.is_object()) {
            if (auto it = c.find("families"); it != c.end() && it->is_object())
                for (const auto& [family, v] : it->items()) {
                    if (!v.is_object())
                        continue;
                    auto text = [&](const char* key) {
                        return v.contains(key) && v[key].is_string() ? v[key].get<std::string>() : std::string();
                    };
                    if (!v.value("observed", true)) {
                        auto reason = text("reason");
                        gaps.push_back(fmt::format("{}: {} events were not observed{}{}", i.name, family,
                                                   reason.empty() ? "" : ": ", reason));
                    } else if (auto degraded = text("degraded"); !degraded.empty()) {
                        gaps.push_back(fmt::format("{}: {} events are observed degraded: {}", i.name, family, degraded));
                    }
                }
            if (auto it = c.find("complete"); it != c.end() && it->is_boolean() && !it->get<bool>() && gaps.empty())
                gaps.push_back(fmt::format("{}: the header says coverage is not complete", i.name));
        }
    }
    return gaps;
}

// Risk of a change: the section's base weight plus what makes this one worse or milder. Each part
// is named in `why` so a reviewer can disagree with the rank.
int base_risk(section s) {
    switch (s) {
    case section::privileged: return 100;
    case section::unknown: return 95;
    case section::net_connect: return 90;
    case section::net_bind: return 85;
    case section::proc_cred: return 85;
    case section::net_accept: return 80;
    case section::proc_exec: return 75;
    case section::net_dns: return 70;
    case section::proc_memfd: return 65;
    case section::net_sockets: return 60;
    case section::proc_signal: return 55;
    case section::proc_prctl: return 50;
    case section::file_exec: return 45;
    case section::file_write: return 40;
    case section::file_delete: return 35;
    case section::file_metadata: return 30;
    case section::file_read: return 10;
    }
    return 50;
}

bool sensitive_path(std::string_view p) {
    for (std::string_view pre : {"/etc/", "/usr/", "/bin/", "/sbin/", "/lib", "/boot/", "/root/.ssh", "/var/spool/cron",
                                 "/proc/sys/", "/sys/", "/dev/", "/run/systemd"})
        if (p.starts_with(pre))
            return true;
    return p.find("/.ssh/") != std::string_view::npos;
}

void rank(review_change& c) {
    c.risk = base_risk(c.sec);
    c.why.push_back(fmt::format("{} (+{})", section_name(c.sec), c.risk));
    if (c.change == "gone") {
        c.risk = std::max(1, c.risk / 10);
        c.why = {fmt::format("no longer done: {} (+{})", section_name(c.sec), c.risk)};
        return;
    }
    if (c.outside_profile) {
        c.risk += 40;
        c.why.push_back("outside the allowed profile (+40)");
    }
    bool write_like = c.sec == section::file_write || c.sec == section::file_delete || c.sec == section::file_metadata;
    if (write_like && sensitive_path(c.subject)) {
        c.risk += 25;
        c.why.push_back("changes a system location (+25)");
    }
    if (write_like && c.subject.starts_with('<')) {
        c.risk -= 10;
        c.why.push_back("inside a run root (-10)");
    }
    if (c.first.operation.find("RENAME_EXCHANGE") != std::string::npos ||
        c.first.operation.starts_with("link") || c.first.operation.starts_with("symlink")) {
        c.risk += 5;
        c.why.push_back("links or swaps names (+5)");
    }
    if (!c.static_view.empty()) {
        c.risk += 10;
        c.why.push_back("its syscall is new in the static view too (+10)");
    }
    if (c.runs_seen == c.runs_total) {
        c.risk += 5;
        c.why.push_back("in every new run (+5)");
    } else {
        c.why.push_back(fmt::format("in {} of {} new runs", c.runs_seen, c.runs_total));
    }
    c.risk = std::clamp(c.risk, 1, 200);
}

// Per-change aggregate over all runs of both sides.
struct merged {
    section sec = section::unknown;
    std::string subject;
    std::uint64_t old_runs = 0, new_runs = 0; // bit per run
    std::uint64_t old_count = 0, new_count = 0;
    const behaviour_set::entry* first_old = nullptr;
    const behaviour_set* first_old_set = nullptr;
    const behaviour_set::entry* first_new = nullptr;
    const behaviour_set* first_new_set = nullptr;
};

std::string key_of(section s, std::string_view subject) {
    std::string k(1, static_cast<char>(s));
    k.append(subject);
    return k;
}

review_evidence evidence_of(const behaviour_set& set, const behaviour_set::entry& e) {
    review_evidence ev;
    ev.file = set.pool.get(e.source);
    ev.line = e.first_line;
    ev.ts = e.first_ts;
    ev.pid = e.pid;
    ev.comm = set.pool.get(e.comm);
    ev.chain = set.pool.get(e.chain);
    ev.operation = set.pool.get(e.detail);
    ev.example = e.example_or_subject();
    return ev;
}

// Many changes of one kind in one directory read as one area change ("<arg1>/x/*"), with the
// union of their runs: a scan of 10,000 new files is one line, not 10,000.
void group_change_areas(std::vector<review_change>& v, std::size_t threshold = 8) {
    group_by_directory(v, threshold, [](const review_change& c) -> const std::string& { return c.change; },
                       [&v](const std::vector<std::size_t>& members, const std::string& dir) {
                           review_change a = v[members.front()];
                           a.subject = dir + "/*";
                           a.count = 0;
                           a.outside_profile = false;
                           a.runs_mask = 0;
                           for (auto i : members) {
                               a.count += v[i].count;
                               a.runs_mask |= v[i].runs_mask;
                               a.outside_profile |= v[i].outside_profile;
                           }
                           a.runs_seen = static_cast<unsigned>(std::popcount(a.runs_mask));
                           a.first.operation = fmt::format("{} distinct paths in this directory; first: {}",
                                                           members.size(), v[members.front()].first.operation);
                           return a;
                       });
}

// What differs from run to run of one side is volatile (docs/learning.md, rule 3, as learn does
// across its traces): changes of one side and section whose subjects differ only in runs of
// digits, each seen in other runs than the rest (a pid of 4 digits in a folder name:
// ".clamav-unlink-1390-..." in run 1, "-1410-" in run 2), are one change with '*' where they
// differ, seen in the union of their runs.
// A subject cut into runs of digits and runs of everything else.
std::vector<std::string> digit_tokens(const std::string& s) {
    std::vector<std::string> t;
    for (std::size_t i = 0; i < s.size();) {
        bool digit = s[i] >= '0' && s[i] <= '9';
        std::size_t j = i;
        while (j < s.size() && ((s[j] >= '0' && s[j] <= '9') == digit))
            ++j;
        t.push_back(s.substr(i, j - i));
        i = j;
    }
    return t;
}

// The subject with each run of digits as '#' (the shape run variants share).
std::string digit_skeleton(std::string_view prefix, const std::string& subject) {
    std::string k(prefix);
    k.push_back('\0');
    for (char ch : subject)
        if (!(ch >= '0' && ch <= '9'))
            k.push_back(ch);
        else if (k.back() != '#')
            k.push_back('#');
    return k;
}

// The members' common subject with '*' for each run of digits that differs; "" when their
// shapes differ.
std::string starred_subject(const std::vector<const std::string*>& subjects) {
    auto first = digit_tokens(*subjects.front());
    std::vector<bool> varies(first.size());
    for (const auto* s : subjects) {
        auto t = digit_tokens(*s);
        if (t.size() != first.size())
            return {};
        for (std::size_t x = 0; x < t.size(); ++x)
            varies[x] = varies[x] || t[x] != first[x];
    }
    std::string out;
    for (std::size_t x = 0; x < first.size(); ++x)
        out += varies[x] ? "*" : first[x];
    return out;
}

// The same for violations: findings of one section from different new runs that differ only in
// digits are one finding.
void merge_finding_variants(std::vector<finding>& v) {
    std::map<std::string, std::vector<std::size_t>> groups;
    for (std::size_t i = 0; i < v.size(); ++i)
        if (v[i].subject.find_first_of("0123456789") != std::string::npos)
            groups[digit_skeleton(section_name(v[i].sec), v[i].subject)].push_back(i);
    std::vector<bool> dead(v.size());
    for (auto& [k, members] : groups) {
        if (members.size() < 2)
            continue;
        std::set<std::string> sources;
        std::vector<const std::string*> subjects;
        for (auto i : members) {
            sources.insert(v[i].source);
            subjects.push_back(&v[i].subject);
        }
        auto starred = starred_subject(subjects);
        if (sources.size() != members.size() || starred.empty())
            continue;
        auto& keep = v[members.front()];
        keep.subject = starred;
        for (std::size_t m = 1; m < members.size(); ++m) {
            keep.count += v[members[m]].count;
            dead[members[m]] = true;
        }
    }
    std::vector<finding> kept;
    for (std::size_t i = 0; i < v.size(); ++i)
        if (!dead[i])
            kept.push_back(std::move(v[i]));
    v = std::move(kept);
}

void merge_run_variants(std::vector<review_change>& v) {
    auto skeleton = [](const review_change& c) {
        return digit_skeleton(c.change + '\0' + std::string(section_name(c.sec)), c.subject);
    };
    std::map<std::string, std::vector<std::size_t>> groups;
    for (std::size_t i = 0; i < v.size(); ++i)
        if (v[i].runs_seen < v[i].runs_total && v[i].subject.find_first_of("0123456789") != std::string::npos)
            groups[skeleton(v[i])].push_back(i);
    std::vector<bool> dead(v.size());
    for (auto& [k, members] : groups) {
        if (members.size() < 2)
            continue;
        std::uint64_t seen = 0;
        bool disjoint = true;
        for (auto i : members) {
            disjoint &= (seen & v[i].runs_mask) == 0;
            seen |= v[i].runs_mask;
        }
        std::vector<const std::string*> subjects;
        for (auto i : members)
            subjects.push_back(&v[i].subject);
        auto subject = starred_subject(subjects);
        if (!disjoint || subject.empty())
            continue;
        review_change& keep = v[members.front()];
        keep.subject = subject;
        for (std::size_t m = 1; m < members.size(); ++m) {
            const auto& o = v[members[m]];
            keep.count += o.count;
            keep.outside_profile |= o.outside_profile;
            dead[members[m]] = true;
        }
        keep.runs_mask = seen;
        keep.runs_seen = static_cast<unsigned>(std::popcount(seen));
    }
    std::vector<review_change> kept;
    for (std::size_t i = 0; i < v.size(); ++i)
        if (!dead[i])
            kept.push_back(std::move(v[i]));
    v = std::move(kept);
}

// Removes a temporary folder tree when the review is done.
struct scratch_dir {
    std::filesystem::path path;
    scratch_dir() {
        auto tmpl = (std::filesystem::temp_directory_path() / "glassbox-review-XXXXXX").string();
        if (::mkdtemp(tmpl.data()))
            path = tmpl;
    }
    ~scratch_dir() {
        std::error_code ec;
        if (!path.empty())
            std::filesystem::remove_all(path, ec);
    }
    scratch_dir(const scratch_dir&) = delete;
    scratch_dir& operator=(const scratch_dir&) = delete;
};

struct static_side {
    std::vector<scan::binary_report> reports;
    std::vector<std::string> rel;
};

result<static_side> scan_package(const std::filesystem::path& pkg, const std::filesystem::path& scratch) {
    auto tree = package_tree(pkg, scratch);
    if (!tree)
        return std::unexpected(tree.error());
    scan::scan_options so;
    so.progress = false;
    scan::scanner s(so);
    scan::scan_stats st;
    static_side out;
    out.reports = s.scan_paths({tree->string()}, st, &out.rel);
    return out;
}

} // namespace

int review_report::exit_status() const {
    return new_behaviour || violations || new_static_capability || integrity_gaps ? 1 : 0;
}

std::string review_report::verdict_line() const {
    std::vector<std::string> parts;
    std::size_t added = 0, gone = 0;
    for (const auto& c : changes)
        (c.change == "new" ? added : gone)++;
    parts.push_back(new_behaviour ? fmt::format("NEW BEHAVIOUR ({} new, {} gone)", added, gone)
                    : gone        ? fmt::format("no new behaviour ({} gone)", gone)
                                  : "no change in behaviour");
    if (!profile.empty())
        parts.push_back(violations ? fmt::format("PROFILE VIOLATIONS ({})", violations_list.size())
                                   : "within the profile");
    if (static_compared)
        parts.push_back(new_static_capability ? "NEW STATIC CAPABILITY" : "no new static capability");
    parts.push_back(integrity_gaps ? "TRACE GAPS" : "traces complete");
    std::string s;
    for (const auto& p : parts)
        s += (s.empty() ? "" : "; ") + p;
    return s;
}

result<review_report> review(const review_options& opts) {
    if (opts.old_traces.empty() || opts.new_traces.empty())
        return std::unexpected(error{"review needs at least one trace of the old version and one of the new"});
    if (opts.old_traces.size() > kMaxRuns || opts.new_traces.size() > kMaxRuns)
        return std::unexpected(error{fmt::format("review takes at most {} runs per version", kMaxRuns)});
    if (opts.old_package.has_value() != opts.new_package.has_value())
        return std::unexpected(error{"give both packages (--old-package and --new-package) or neither"});
    review_report rep;

    std::optional<profile::profile> prof;
    if (opts.profile) {
        auto p = profile::load_profile(*opts.profile);
        if (!p)
            return std::unexpected(error{p.error().message()});
        prof = std::move(*p);
        rep.profile = opts.profile->string();
    }

    // Read every trace, `threads` at a time.
    std::vector<std::unique_ptr<trace_pass>> passes;
    for (const auto& f : opts.old_traces) {
        passes.push_back(std::make_unique<trace_pass>());
        passes.back()->file = f;
    }
    for (const auto& f : opts.new_traces) {
        passes.push_back(std::make_unique<trace_pass>());
        passes.back()->file = f;
        passes.back()->is_new = true;
    }
    const std::size_t n_old = opts.old_traces.size();
    passes[0]->want_timeline = true;
    passes[n_old]->want_timeline = true;
    passes[n_old]->want_tree = true;
    {
        std::atomic<std::size_t> next{0};
        auto worker = [&] {
            for (std::size_t i; (i = next++) < passes.size();)
                read_trace(*passes[i], prof ? &*prof : nullptr, opts.run_roots);
        };
        std::vector<std::thread> pool;
        for (unsigned k = 1; k < std::max(1u, opts.threads); ++k)
            pool.emplace_back(worker);
        worker();
        for (auto& th : pool)
            th.join();
    }
    for (const auto& p : passes)
        if (p->failed)
            return std::unexpected(*p->failed);

    // Static side, while nothing else needs the cores.
    std::optional<static_side> old_static, new_static;
    if (opts.old_package) {
        scratch_dir scratch;
        if (scratch.path.empty())
            return std::unexpected(error{"cannot create a temporary folder to unpack the packages"});
        auto o = scan_package(*opts.old_package, scratch.path / "old");
        if (!o)
            return std::unexpected(o.error());
        auto n = scan_package(*opts.new_package, scratch.path / "new");
        if (!n)
            return std::unexpected(n.error());
        old_static = std::move(*o);
        new_static = std::move(*n);
        rep.static_diff = scan::diff_reports(old_static->reports, old_static->rel, new_static->reports, new_static->rel);
        rep.static_compared = true;
        rep.new_static_capability = rep.static_diff.new_capability;
        rep.old_package = opts.old_package->string();
        rep.new_package = opts.new_package->string();
    }

    // Traces and their gaps.
    for (std::size_t i = 0; i < passes.size(); ++i) {
        auto& p = *passes[i];
        review_trace t;
        t.side = p.is_new ? "new" : "old";
        t.info = p.info;
        t.gaps = gaps_of(p.info);
        rep.integrity_gaps |= !t.gaps.empty();
        for (auto& w : p.warnings)
            rep.warnings.push_back(w);
        rep.traces.push_back(std::move(t));
        if (p.want_timeline) {
            review_timeline tl;
            tl.trace = p.info.name;
            tl.side = p.is_new ? "new" : "old";
            tl.bin_ns = p.timeline.width;
            tl.families.assign(std::begin(kFamilies), std::end(kFamilies));
            tl.counts = p.timeline.counts;
            // Trim the empty tail so the chart spans the run.
            std::size_t used = 1;
            for (const auto& row : tl.counts)
                for (std::size_t b = 0; b < row.size(); ++b)
                    if (row[b])
                        used = std::max(used, b + 1);
            for (auto& row : tl.counts)
                row.resize(used);
            rep.timelines.push_back(std::move(tl));
        }
        if (p.want_tree)
            rep.processes = std::move(p.processes);
    }

    // Merge the runs.
    std::unordered_map<std::string, merged> all;
    for (std::size_t i = 0; i < passes.size(); ++i) {
        auto& p = *passes[i];
        const std::uint64_t bit = 1ull << (p.is_new ? i - n_old : i);
        for (const auto& e : p.set.entries) {
            auto& m = all[key_of(e.sec, e.subject)];
            if (m.subject.empty()) {
                m.sec = e.sec;
                m.subject = e.subject;
            }
            if (p.is_new) {
                m.new_runs |= bit;
                m.new_count += e.count;
                if (!m.first_new) {
                    m.first_new = &e;
                    m.first_new_set = &p.set;
                }
            } else {
                m.old_runs |= bit;
                m.old_count += e.count;
                if (!m.first_old) {
                    m.first_old = &e;
                    m.first_old_set = &p.set;
                }
            }
        }
    }
    // Run-to-run noise the normaliser leaves (diff's rules), on findings keyed back to merged.
    std::vector<finding> added, removed;
    for (const auto& [k, m] : all) {
        if (m.new_runs && !m.old_runs)
            added.push_back(m.first_new_set->to_finding(*m.first_new));
        else if (m.old_runs && !m.new_runs)
            removed.push_back(m.first_old_set->to_finding(*m.first_old));
    }
    sort_findings(added);
    sort_findings(removed);
    auto in_old = [&](section s, std::string_view p) {
        auto it = all.find(key_of(s, p));
        return it != all.end() && it->second.old_runs;
    };
    auto in_new = [&](section s, std::string_view p) {
        auto it = all.find(key_of(s, p));
        return it != all.end() && it->second.new_runs;
    };
    cancel_volatile_pairs(added, removed, in_old, in_new);

    // Profile violations of the new runs, merged, and the normalised keys they fall under.
    std::unordered_set<std::string> violating;
    if (prof) {
        std::map<std::string, finding> merged_v;
        for (std::size_t i = n_old; i < passes.size(); ++i) {
            auto roots = run_roots::from_entries(passes[i]->info.roots);
            std::string rooted;
            for (auto& f : passes[i]->violations) {
                std::string_view subject = f.subject;
                if (roots.rewrite(f.sec, subject, rooted))
                    subject = rooted;
                auto normalised = normalise_subject(f.sec, subject);
                auto key = key_of(f.sec, normalised);
                violating.insert(key);
                auto [it, inserted] = merged_v.try_emplace(key, f);
                if (inserted)
                    it->second.subject = std::move(normalised); // example stays the exact subject
                else
                    it->second.count += f.count;
            }
        }
        for (auto& [k, f] : merged_v)
            rep.violations_list.push_back(std::move(f));
        merge_finding_variants(rep.violations_list);
        group_areas(rep.violations_list);
        sort_findings(rep.violations_list);
        rep.violations = !rep.violations_list.empty();
    }

    // Static surfaces for the join.
    std::map<std::string, std::pair<std::string, std::string>> static_new; // syscall -> binary, evidence
    std::set<std::string> old_reachable;
    if (rep.static_compared) {
        for (const auto& f : rep.static_diff.findings)
            if ((f.kind == "new-syscall" || f.kind == "new-syscall-via-dependency") && !static_new.contains(f.subject))
                static_new[f.subject] = {f.binary, f.detail};
        for (const auto& r : old_static->reports)
            for (const auto& [id, ev] : r.all)
                old_reachable.insert(scan::syscall_label(id));
    }

    auto make_changes = [&](const std::vector<finding>& v, bool is_new) {
        for (const auto& f : v) {
            const auto& m = all.at(key_of(f.sec, f.subject));
            review_change c;
            c.change = is_new ? "new" : "gone";
            c.sec = f.sec;
            c.subject = f.subject;
            const auto& set = is_new ? *m.first_new_set : *m.first_old_set;
            const auto& e = is_new ? *m.first_new : *m.first_old;
            c.first = evidence_of(set, e);
            c.syscall = set.pool.get(e.syscall);
            c.count = is_new ? m.new_count : m.old_count;
            c.runs_mask = is_new ? m.new_runs : m.old_runs;
            c.runs_seen = static_cast<unsigned>(std::popcount(c.runs_mask));
            c.runs_total = static_cast<unsigned>(is_new ? opts.new_traces.size() : opts.old_traces.size());
            c.outside_profile = is_new && violating.contains(key_of(f.sec, f.subject));
            if (is_new && rep.static_compared && !c.syscall.empty()) {
                if (auto it = static_new.find(c.syscall); it != static_new.end())
                    c.static_view = fmt::format("{} is newly reachable in {} ({})", c.syscall, it->second.first,
                                                it->second.second);
                else if (scan::syscall_number(c.syscall) && !old_reachable.contains(c.syscall))
                    c.static_view = fmt::format("{} was not reachable from the old package's binaries", c.syscall);
            }
            rep.changes.push_back(std::move(c));
        }
    };
    make_changes(added, true);
    make_changes(removed, false);
    merge_run_variants(rep.changes);
    group_change_areas(rep.changes);
    for (auto& c : rep.changes)
        rank(c);
    std::stable_sort(rep.changes.begin(), rep.changes.end(), [](const review_change& a, const review_change& b) {
        if (a.risk != b.risk)
            return a.risk > b.risk;
        if (a.change != b.change)
            return a.change == "new";
        if (a.sec != b.sec)
            return a.sec < b.sec;
        return a.subject < b.subject;
    });
    for (std::size_t i = 0; i < rep.changes.size(); ++i)
        rep.changes[i].id = fmt::format("c{}", i + 1);
    rep.new_behaviour = std::any_of(rep.changes.begin(), rep.changes.end(), [](const auto& c) { return c.change == "new"; });

    // The join, syscall by syscall.
    if (rep.static_compared) {
        std::map<std::string, std::uint64_t> observed_new;
        for (std::size_t i = n_old; i < passes.size(); ++i)
            for (const auto& [name, n] : passes[i]->syscalls)
                observed_new[name] += n;
        for (const auto& [sc, where] : static_new) {
            review_join j;
            j.syscall = sc;
            j.binary = where.first;
            j.static_evidence = where.second;
            auto seen = observed_new.find(sc);
            j.observed = seen == observed_new.end() ? 0 : seen->second;
            j.kind = j.observed ? "reachable-and-observed" : "reachable-not-observed";
            for (const auto& c : rep.changes)
                if (c.change == "new" && c.syscall == sc) {
                    j.change_id = c.id;
                    break;
                }
            rep.join.push_back(std::move(j));
        }
        std::set<std::string> done;
        for (const auto& c : rep.changes)
            if (c.change == "new" && !c.syscall.empty() && scan::syscall_number(c.syscall) &&
                !old_reachable.contains(c.syscall) && !static_new.contains(c.syscall) && done.insert(c.syscall).second)
                rep.join.push_back({"observed-not-reachable-before", c.syscall, "", "", c.id, observed_new[c.syscall]});
        // What needs a look first: seen on both sides, then observed beyond the old reach, then
        // reachable but never exercised (a test scenario to write).
        auto order = [](const std::string& k) {
            return k == "reachable-and-observed" ? 0 : k == "observed-not-reachable-before" ? 1 : 2;
        };
        std::stable_sort(rep.join.begin(), rep.join.end(),
                         [&](const review_join& a, const review_join& b) { return order(a.kind) < order(b.kind); });
    }

    if (!opts.title.empty())
        rep.title = opts.title;
    else
        rep.title = fmt::format("{} -> {}", opts.old_traces.front().filename().string(),
                                opts.new_traces.front().filename().string());
    return rep;
}

} // namespace glassbox::analysis
