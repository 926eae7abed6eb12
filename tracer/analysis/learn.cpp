// learn: traces -> the smallest readable profile that allows everything they did. Collects the
// normalised behaviours of every trace, generalises what varies between runs (docs/learning.md:
// volatile components, large directories, subsumed rules) and writes deterministic, sorted,
// commented YAML that parses back with parse_profile.
#include "engine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <fstream>
#include <map>
#include <set>

namespace glassbox::analysis {

bool is_path_section(section s) {
    switch (s) {
    case section::file_read:
    case section::file_write:
    case section::file_exec:
    case section::file_delete:
    case section::file_metadata:
    case section::proc_exec:
    case section::proc_signal:
        return true;
    default:
        return false;
    }
}

std::uint32_t string_pool::id(std::string_view s) {
    if (s.empty())
        return 0;
    auto it = ids.find(s);
    if (it != ids.end())
        return it->second;
    auto i = static_cast<std::uint32_t>(strings.size());
    strings.emplace_back(s);
    ids.emplace(strings.back(), i);
    return i;
}

std::uint32_t behaviour_set::tag_of(section s, std::string_view pattern) {
    auto h = std::hash<std::string_view>{}(pattern) ^ (static_cast<std::uint64_t>(s) * 0x9e3779b97f4a7c15ull);
    h ^= h >> 29; // mix the section into the upper bits too
    return static_cast<std::uint32_t>(h >> 32) | 1u; // never 0, so a full slot is never 0
}

std::size_t behaviour_set::probe(std::uint32_t tag, section s, std::string_view pattern, bool& found) const {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = tag & mask;; i = (i + 1) & mask) {
        auto slot = slots_[i];
        if (slot == 0) {
            found = false;
            return i;
        }
        if (static_cast<std::uint32_t>(slot >> 32) == tag) {
            const auto& e = entries[static_cast<std::uint32_t>(slot) - 1];
            if (e.sec == s && e.subject == pattern) {
                found = true;
                return i;
            }
        }
    }
}

void behaviour_set::grow() {
    std::vector<std::uint64_t> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : old.size() * 2, 0);
    const std::size_t mask = slots_.size() - 1;
    for (auto slot : old) {
        if (slot == 0)
            continue;
        std::size_t i = (slot >> 32) & mask;
        while (slots_[i] != 0)
            i = (i + 1) & mask;
        slots_[i] = slot;
    }
}

std::int64_t behaviour_set::find(section s, std::string_view pattern) const {
    if (slots_.empty())
        return -1;
    bool found;
    auto i = probe(tag_of(s, pattern), s, pattern, found);
    return found ? static_cast<std::int64_t>(static_cast<std::uint32_t>(slots_[i]) - 1) : -1;
}

behaviour_set::entry& behaviour_set::add(section s, std::string pattern, std::uint64_t trace_bit, bool* inserted) {
    if ((used_ + 1) * 2 > slots_.size())
        grow();
    auto tag = tag_of(s, pattern);
    bool found;
    auto i = probe(tag, s, pattern, found);
    if (!found) {
        entry& e = entries.emplace_back();
        e.sec = s;
        e.subject = std::move(pattern);
        slots_[i] = static_cast<std::uint64_t>(tag) << 32 | static_cast<std::uint32_t>(entries.size());
        ++used_;
    }
    if (inserted)
        *inserted = !found;
    auto& e = entries[static_cast<std::uint32_t>(slots_[i]) - 1];
    e.traces |= trace_bit;
    return e;
}

finding behaviour_set::to_finding(const entry& e) const {
    finding f;
    f.sec = e.sec;
    f.subject = e.subject;
    f.count = e.count;
    f.example = e.example_or_subject();
    f.first_line = e.first_line;
    f.first_ts = e.first_ts;
    f.pid = e.pid;
    f.comm = pool.get(e.comm);
    f.chain = pool.get(e.chain);
    f.detail = pool.get(e.detail);
    f.source = pool.get(e.source);
    return f;
}

std::vector<behaviour_set::entry> behaviour_set::take(section s) {
    std::vector<entry> out;
    for (auto& e : entries)
        if (e.sec == s)
            out.push_back(std::move(e));
    return out;
}

result<bool> looks_like_trace(const std::filesystem::path& file) {
    if (file == "-")
        return true;
    std::ifstream in(file, std::ios::binary);
    if (!in)
        return std::unexpected(error{file.string() + ": cannot open"});
    char c;
    while (in.get(c))
        if (!(c == ' ' || c == '\n' || c == '\r' || c == '\t'))
            return c == '{';
    return false;
}

result<input_info> collect(const std::filesystem::path& file, behaviour_set& set, std::uint64_t trace_bit,
                           std::vector<std::string>& warnings,
                           const std::function<bool(const behaviour&, const trace::event&)>& visit,
                           const behaviour_set* against, std::vector<bool>* seen, bool use_run_roots,
                           const std::function<void(const trace::event&, const process_tree&)>& on_event) {
    auto opened = trace::reader::open(file);
    if (!opened)
        return std::unexpected(opened.error());
    auto& rd = **opened;
    run_roots roots;
    if (use_run_roots)
        roots = run_roots::from_header(rd.trace_header());
    std::string rooted;
    extractor ex;
    process_tree tree;
    const trace::event* cur = nullptr;
    // Repeated subjects (libraries, config files) skip normalisation: a small direct-mapped
    // cache of (section, raw subject) -> entry, bounded so memory stays proportional to the
    // number of distinct behaviours.
    struct slot {
        std::string key;
        std::size_t hash = 0; // compared first: most misses then skip the string compare
        behaviour_set::entry* entry = nullptr;
        bool in_against = false;
    };
    std::vector<slot> cache(4096), pattern_cache(1024);
    subject_normaliser normalise;
    std::string key;
    const std::uint32_t source = set.pool.id(rd.name());
    std::int64_t chain_pid = -1;
    std::uint32_t chain_id = 0;
    std::string last_comm;
    std::uint32_t comm_id = 0;
    bool comm_valid = false;
    std::unordered_map<std::uint64_t, std::uint32_t> simple_detail_ids;
    std::function<void(const behaviour&)> cb = [&](const behaviour& raw) {
        if (visit && !visit(raw, *cur))
            return;
        behaviour b = raw;
        if (!roots.empty() && roots.rewrite(raw.sec, raw.subject, rooted))
            b.subject = rooted;
        key.clear();
        key.push_back(static_cast<char>(b.sec));
        key.append(b.subject);
        const std::size_t key_hash = std::hash<std::string>{}(key);
        auto& sl = cache[key_hash & (cache.size() - 1)];
        behaviour_set::entry* e;
        if (sl.hash == key_hash && (sl.entry || sl.in_against) && sl.key == key) {
            if (sl.in_against)
                return;
            e = sl.entry;
            e->traces |= trace_bit;
        } else {
            const std::string& pattern = normalise(b.sec, b.subject);
            sl.key = key;
            sl.hash = key_hash;
            // Many raw subjects share one pattern (every temp file of a scan): a second small
            // cache on the pattern spares the big index lookups.
            key.resize(1);
            key.append(pattern);
            const std::size_t pattern_hash = std::hash<std::string>{}(key);
            auto& ps = pattern_cache[pattern_hash & (pattern_cache.size() - 1)];
            if (ps.hash == pattern_hash && (ps.entry || ps.in_against) && ps.key == key) {
                sl.entry = ps.entry;
                sl.in_against = ps.in_against;
                if (ps.in_against)
                    return;
                e = ps.entry;
                e->traces |= trace_bit;
            } else {
                ps.key = key;
                ps.hash = pattern_hash;
                if (against) {
                    if (auto at = against->find(b.sec, pattern); at >= 0) {
                        (*seen)[static_cast<std::size_t>(at)] = true;
                        sl.entry = ps.entry = nullptr;
                        sl.in_against = ps.in_against = true;
                        return;
                    }
                }
                e = &set.add(b.sec, pattern, trace_bit);
                sl.entry = ps.entry = e;
                sl.in_against = ps.in_against = false;
            }
        }
        if (e->count == 0) { // first occurrence: remember where and who
            if (b.subject != std::string_view(e->subject))
                e->example = sanitise(b.subject);
            e->first_line = cur->line;
            e->first_ts = cur->ts;
            e->pid = cur->pid;
            if (!comm_valid || cur->comm != last_comm) { // comm rarely changes between events
                last_comm.assign(cur->comm);
                comm_id = set.pool.id(sanitise(cur->comm));
                comm_valid = true;
            }
            e->comm = comm_id;
            if (cur->pid != chain_pid) { // chains repeat: compute once per process until it changes
                chain_pid = cur->pid;
                chain_id = set.pool.id(sanitise(tree.chain(cur->pid)));
            }
            e->chain = chain_id;
            // The detail of ordinary events depends on a few small fields only: look it up by
            // them instead of formatting it (exec argv, priv targets and DNS types vary).
            // File changes name their operation, flags and paths: never simple.
            bool simple = (cur->kind == GB_EV_OPEN || cur->kind == GB_EV_MMAP_EXEC || cur->kind == GB_EV_INOTIFY ||
                           cur->kind == GB_EV_SOCKET || cur->category == event_category::network) &&
                          cur->kind != GB_EV_DNS && cur->via.empty() && cur->succeeded();
            const int syscall_code = cur->syscall.empty() ? 0 : cur->syscall == "openat" ? 1 : cur->syscall == "open" ? 2 : -1;
            simple = simple && syscall_code >= 0;
            if (simple) {
                std::uint64_t k = static_cast<std::uint64_t>(cur->kind) << 56 | std::uint64_t(cur->create) << 55 |
                                  std::uint64_t(cur->truncate) << 54 |
                                  std::uint64_t(syscall_code) << 48;
                for (std::size_t i = 0; i < cur->access.size() && i < 6; ++i)
                    k |= std::uint64_t(static_cast<unsigned char>(cur->access[i])) << (8 * i);
                auto [it, inserted] = simple_detail_ids.try_emplace(k, 0);
                if (inserted)
                    it->second = set.pool.id(event_detail(*cur));
                e->detail = it->second;
            } else {
                e->detail = set.pool.id(event_detail(*cur));
            }
            e->source = source;
            e->syscall = set.pool.id(cur->syscall);
        }
        ++e->count;
    };
    while (true) {
        auto ev = rd.next();
        if (!ev)
            return std::unexpected(ev.error());
        if (!*ev)
            break;
        cur = *ev;
        tree.observe(*cur);
        if (cur->kind == GB_EV_EXEC || cur->kind == GB_EV_FORK)
            chain_pid = -1; // the tree changed
        ex.extract(*cur, cb);
        if (on_event)
            on_event(*cur, tree);
    }
    for (const auto& w : rd.warnings())
        warnings.push_back(w);
    auto info = info_of(rd);
    info.roots = roots.entries();
    return info;
}

// ---------------------------------------------------------------------------------------------
// Generaliser

namespace {

std::vector<std::string_view> split_components(std::string_view p) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i <= p.size()) {
        auto slash = p.find('/', i);
        if (slash == std::string_view::npos)
            slash = p.size();
        out.push_back(p.substr(i, slash - i));
        i = slash + 1;
    }
    return out; // "/a/b" -> "", "a", "b"
}

std::string join_components(const std::vector<std::string_view>& c, std::size_t k, std::string_view replacement) {
    std::string out;
    for (std::size_t i = 0; i < c.size(); ++i) {
        if (i)
            out.push_back('/');
        out += i == k ? replacement : c[i];
    }
    return out;
}


// The common generalisation of several literal components: common prefix + '*' + common suffix.
std::string merge_components(const std::vector<std::string_view>& names) {
    for (auto n : names)
        if (n.find_first_of("[{\\") != std::string_view::npos)
            return "*";
    std::string_view first = names.front();
    std::size_t pre = first.size(), suf = first.size();
    for (auto n : names) {
        std::size_t k = 0;
        while (k < pre && k < n.size() && n[k] == first[k])
            ++k;
        pre = k;
        std::size_t s = 0;
        while (s < suf && s < n.size() && n[n.size() - 1 - s] == first[first.size() - 1 - s])
            ++s;
        suf = s;
    }
    std::size_t shortest = first.size();
    for (auto n : names)
        shortest = std::min(shortest, n.size());
    if (pre + suf > shortest)
        suf = shortest - pre;
    std::string out(first.substr(0, pre));
    out += '*';
    out += first.substr(first.size() - suf);
    // "a**b" -> "a*b": the parts may already hold '*'.
    std::string clean;
    for (char c : out)
        if (!(c == '*' && !clean.empty() && clean.back() == '*'))
            clean.push_back(c);
    if (clean == "**")
        clean = "*";
    return clean;
}

void merge_into(behaviour_set::entry& into, behaviour_set::entry& from) {
    if (into.count == 0 && from.count > 0) {
        into.example = from.example_or_subject();
        into.first_line = from.first_line;
        into.first_ts = from.first_ts;
        into.pid = from.pid;
        into.comm = from.comm;
        into.chain = from.chain;
        into.detail = from.detail;
        into.source = from.source;
    } else if (into.example.empty()) {
        into.example = into.subject; // the subject is about to become a pattern
    }
    into.count += from.count;
    into.traces |= from.traces;
}

void compact(std::vector<behaviour_set::entry>& entries, const std::vector<bool>& dead) {
    std::size_t w = 0;
    for (std::size_t i = 0; i < entries.size(); ++i)
        if (!dead[i]) {
            if (w != i)
                entries[w] = std::move(entries[i]);
            ++w;
        }
    entries.resize(w);
}

// Merges entries with equal patterns (after a rewrite) into one.
void dedupe(std::vector<behaviour_set::entry>& entries) {
    std::unordered_map<std::string, std::size_t> seen;
    std::vector<bool> dead(entries.size(), false);
    for (std::size_t i = 0; i < entries.size(); ++i) {
        auto [it, ins] = seen.try_emplace(entries[i].subject, i);
        if (!ins) {
            merge_into(entries[it->second], entries[i]);
            dead[i] = true;
        }
    }
    compact(entries, dead);
}

std::size_t depth_of(std::string_view dir) {
    return static_cast<std::size_t>(std::count(dir.begin(), dir.end(), '/'));
}

bool collapsible(std::string_view dir) {
    // Never turn a whole top-level tree, or the big shared system directories, into one rule:
    // a reviewer must see which files there are used.
    static const std::set<std::string_view> protected_dirs = {
        "/usr/bin", "/usr/sbin", "/usr/lib", "/usr/lib64", "/usr/share", "/usr/local", "/usr/libexec",
        "/var/lib", "/var/log", "/var/cache", "/var/spool", "/run/user", "/etc/ssh", "/etc/sudoers.d",
        "/etc/pam.d", "/etc/security", "/root/.ssh", "/proc/[0-9]*", "/sys/kernel", "/home/*"};
    return depth_of(dir) >= 2 && !protected_dirs.contains(dir);
}

} // namespace

void generalise_volatile(std::vector<behaviour_set::entry>& entries, std::uint64_t all_traces) {
    if (std::popcount(all_traces) < 2)
        return;
    // Entries not seen in every trace are candidates; those that differ from each other in one
    // component, across different traces, name the same thing with a volatile part.
    std::map<std::string, std::vector<std::size_t>> buckets;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        if (entries[i].traces == all_traces || entries[i].subject.empty() || entries[i].subject[0] != '/')
            continue;
        auto comps = split_components(entries[i].subject);
        for (std::size_t k = 1; k < comps.size(); ++k)
            buckets[join_components(comps, k, std::string_view("\x01", 1)) + '\x02' + std::to_string(k)].push_back(i);
    }
    std::vector<bool> dead(entries.size(), false);
    for (auto& [key, members] : buckets) {
        std::vector<std::size_t> live;
        std::uint64_t mask = 0;
        for (auto i : members)
            if (!dead[i]) {
                live.push_back(i);
                mask |= entries[i].traces;
            }
        if (live.size() < 2 || std::popcount(mask) < 2)
            continue;
        std::size_t k = std::stoul(key.substr(key.rfind('\x02') + 1));
        std::vector<std::string_view> names;
        std::vector<std::vector<std::string_view>> split;
        for (auto i : live)
            split.push_back(split_components(entries[i].subject));
        for (auto& c : split)
            names.push_back(c[k]);
        std::string merged = join_components(split[0], k, merge_components(names));
        std::size_t keep = live[0];
        for (std::size_t j = 1; j < live.size(); ++j) {
            merge_into(entries[keep], entries[live[j]]);
            dead[live[j]] = true;
        }
        if (entries[keep].example.empty())
            entries[keep].example = entries[keep].subject;
        entries[keep].subject = std::move(merged);
    }
    compact(entries, dead);
    dedupe(entries);
}

void collapse_directories(std::vector<behaviour_set::entry>& entries, std::size_t threshold) {
    if (threshold == 0)
        return;
    std::map<std::string, std::vector<std::size_t>> under; // dir -> entries below it
    auto add_ancestors = [&](std::size_t i) {
        const std::string& p = entries[i].subject;
        if (p.empty() || p[0] != '/')
            return;
        for (std::size_t pos = p.find('/', 1); pos != std::string::npos; pos = p.find('/', pos + 1))
            under[p.substr(0, pos)].push_back(i);
    };
    for (std::size_t i = 0; i < entries.size(); ++i)
        add_ancestors(i);
    std::vector<std::string> dirs;
    for (auto& [d, _] : under)
        dirs.push_back(d);
    std::stable_sort(dirs.begin(), dirs.end(), [](const std::string& a, const std::string& b) {
        return depth_of(a) > depth_of(b);
    });
    std::vector<bool> dead(entries.size(), false);
    for (const auto& d : dirs) {
        if (!collapsible(d))
            continue;
        std::vector<std::size_t> live;
        for (auto i : under[d])
            if (i < dead.size() && !dead[i])
                live.push_back(i);
        if (live.size() < threshold)
            continue;
        bool direct = true;
        for (auto i : live) {
            const auto& p = entries[i].subject;
            if (p.rfind('/') != d.size() || p == d + "/**")
                direct = false;
        }
        behaviour_set::entry merged;
        merged.sec = entries[live[0]].sec;
        merged.subject = d + (direct ? "/*" : "/**");
        for (auto i : live) {
            merge_into(merged, entries[i]);
            dead[i] = true;
        }
        entries.push_back(std::move(merged));
        dead.push_back(false);
        add_ancestors(entries.size() - 1);
    }
    compact(entries, dead);
    dedupe(entries);
}

namespace {

// The subject a literal pattern stands for (escapes removed).
std::string unescape(std::string_view p) {
    std::string out;
    for (std::size_t i = 0; i < p.size(); ++i) {
        if (p[i] == '\\' && i + 1 < p.size())
            ++i;
        out.push_back(p[i]);
    }
    return out;
}

bool is_literal_pattern(std::string_view p) {
    for (std::size_t i = 0; i < p.size(); ++i) {
        if (p[i] == '\\') {
            ++i;
            continue;
        }
        if (p[i] == '*' || p[i] == '?' || p[i] == '[' || p[i] == '{')
            return false;
    }
    return true;
}

} // namespace

void drop_subsumed(std::vector<behaviour_set::entry>& entries) {
    std::vector<std::pair<std::size_t, profile::glob>> wild;
    for (std::size_t i = 0; i < entries.size(); ++i)
        if (!is_literal_pattern(entries[i].subject))
            if (auto g = profile::glob::compile(entries[i].subject))
                wild.emplace_back(i, std::move(*g));
    if (wild.empty())
        return;
    std::vector<bool> dead(entries.size(), false);
    for (std::size_t i = 0; i < entries.size(); ++i) {
        if (!is_literal_pattern(entries[i].subject))
            continue;
        std::string subject = unescape(entries[i].subject);
        for (auto& [w, g] : wild)
            if (g.matches(subject)) {
                merge_into(entries[w], entries[i]);
                dead[i] = true;
                break;
            }
    }
    compact(entries, dead);
}

namespace {

inline bool ascii_alnum(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
inline bool ascii_digit(char c) { return c >= '0' && c <= '9'; }
inline bool ascii_upper(char c) { return c >= 'A' && c <= 'Z'; }
inline bool ascii_lower(char c) { return c >= 'a' && c <= 'z'; }

// The letters/digits mix the normaliser takes for random (docs/learning.md rule 2): letters
// with digits, or case changing inside the run.
bool random_mix(std::string_view run) {
    bool digit = false, lower = false;
    std::size_t inner_upper = 0;
    for (std::size_t i = 0; i < run.size(); ++i) {
        digit |= ascii_digit(run[i]);
        lower |= ascii_lower(run[i]);
        inner_upper += i > 0 && ascii_upper(run[i]);
    }
    bool letters = lower || inner_upper > 0 || (!run.empty() && ascii_upper(run[0]));
    return (digit && letters) || (inner_upper >= 2 && lower) || (run.size() == 6 && inner_upper >= 1 && lower);
}

} // namespace

std::vector<std::string> letter_run_star_forms(std::string_view pattern) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < pattern.size();) {
        if (pattern[i] == '\\') { // an escaped glob character: literal punctuation
            i += 2;
            continue;
        }
        if (!ascii_alnum(pattern[i])) {
            ++i;
            continue;
        }
        std::size_t j = i;
        bool letters_only = true;
        while (j < pattern.size() && ascii_alnum(pattern[j])) {
            letters_only &= !ascii_digit(pattern[j]);
            ++j;
        }
        char before = i > 0 ? pattern[i - 1] : '\0';
        bool after_sep = before == '.' || before == '-' || before == '_' || before == '#' || before == '~';
        std::size_t len = j - i;
        // A glob character right after the run would merge with the '*' (another shape).
        bool clean_end = j == pattern.size() || (pattern[j] != '*' && pattern[j] != '?' && pattern[j] != '[');
        if (letters_only && after_sep && len >= 6 && len <= 12 && clean_end) {
            std::string star(pattern.substr(0, i));
            star.push_back('*');
            star.append(pattern.substr(j));
            out.push_back(std::move(star));
        }
        i = j;
    }
    return out;
}

bool looks_volatile_pair(std::string_view a, std::string_view b) {
    if (a.size() != b.size() || a == b)
        return false;
    std::size_t first = std::string_view::npos, last = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] == b[i])
            continue;
        if (!ascii_alnum(a[i]) || !ascii_alnum(b[i]))
            return false; // punctuation differs: a different name, not a different random part
        if (first == std::string_view::npos)
            first = i;
        last = i;
    }
    if (first == std::string_view::npos)
        return false;
    // The differing bytes lie in one run of letters/digits (so in one component, at the same
    // position), 4 to 12 bytes long: the size of a mkstemp/tmpnam/mktemp random part.
    for (std::size_t i = first; i <= last; ++i)
        if (!ascii_alnum(a[i]) || !ascii_alnum(b[i]))
            return false;
    std::size_t span = last - first + 1;
    if (span < 4 || span > 12)
        return false;
    // The run holding them: on at least one side it must have the letters/digits mix of random
    // text. Two words ("backup" vs "config") are a real difference and stay reported.
    auto run_of = [&](std::string_view s) {
        std::size_t b0 = first, e0 = last + 1;
        while (b0 > 0 && ascii_alnum(s[b0 - 1]))
            --b0;
        while (e0 < s.size() && ascii_alnum(s[e0]))
            ++e0;
        return s.substr(b0, e0 - b0);
    };
    auto ra = run_of(a), rb = run_of(b);
    // The random part ends its run (the template's XXXXXX are at the end; the last random byte
    // may equal by chance).
    auto run_end = static_cast<std::size_t>(ra.data() + ra.size() - a.data());
    if (run_end - (last + 1) > 1 || ra.size() > 32)
        return false;
    return random_mix(a.substr(first, run_end - first)) || random_mix(b.substr(first, run_end - first)) ||
           random_mix(ra) || random_mix(rb);
}

// ---------------------------------------------------------------------------------------------
// YAML output

namespace {

std::string yaml_quote(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\')
            out.push_back('\\');
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

std::string comment_text(std::string_view s) {
    std::string out = sanitise(s);
    if (out.size() > 160)
        out = out.substr(0, 157) + "...";
    return out;
}

bool valid_name(std::string_view s) {
    if (s.empty())
        return false;
    for (unsigned char c : s)
        if (!(std::isalnum(c) || c == '_'))
            return false;
    return true;
}

// Would the profile parser accept this rule in this section? (Anything learn cannot express is
// written as a comment instead, with a warning, so the output always loads.)
std::string rule_problem(section s, const std::string& rule) {
    switch (s) {
    case section::net_connect:
    case section::net_bind:
    case section::net_accept:
        if (auto p = profile::endpoint_pattern::compile(rule); !p)
            return p.error();
        return {};
    case section::net_dns:
        if (auto p = profile::dns_pattern::compile(rule); !p)
            return p.error();
        return {};
    case section::privileged: {
        const auto& k = profile::known_privileged_ops();
        return std::find(k.begin(), k.end(), rule) == k.end() ? "not a known privileged operation" : "";
    }
    case section::proc_cred: {
        const auto& k = profile::known_cred_syscalls();
        return std::find(k.begin(), k.end(), rule) == k.end() ? "not a known credential syscall" : "";
    }
    case section::proc_prctl:
        return valid_name(rule) ? "" : "not a plain option name";
    case section::unknown:
        return "event type unknown to this glassbox";
    default:
        if (auto g = profile::glob::compile(rule); !g)
            return g.error();
        return {};
    }
}

} // namespace

result<learn_result> learn_profile(const std::vector<std::filesystem::path>& traces, const learn_options& opts) {
    if (traces.empty())
        return std::unexpected(error{"no trace given"});
    learn_result out;
    behaviour_set set;
    std::vector<input_info> infos;
    std::uint64_t all = 0;
    for (std::size_t i = 0; i < traces.size(); ++i) {
        std::uint64_t bit = 1ull << std::min<std::size_t>(i, 63);
        all |= bit;
        auto info = collect(traces[i], set, bit, out.warnings);
        if (!info)
            return std::unexpected(info.error());
        infos.push_back(*info);
    }
    // Relative subjects (attempts refused before the kernel resolved them) cannot be rules as
    // they are: anchor them anywhere.
    std::vector<behaviour_set::entry> by_section[kSectionCount];
    {
        std::size_t sizes[kSectionCount] = {};
        for (const auto& e : set.entries)
            ++sizes[static_cast<int>(e.sec)];
        for (int s = 0; s < kSectionCount; ++s)
            by_section[s].reserve(sizes[s]);
    }
    set.drop_index();
    while (!set.entries.empty()) {
        auto& e = set.entries.front();
        if (is_path_section(e.sec) && !e.subject.empty() && e.subject[0] != '/' &&
            e.subject.find(':') == std::string::npos) {
            if (e.example.empty())
                e.example = e.subject;
            e.subject = "**/" + e.subject;
        }
        by_section[static_cast<int>(e.sec)].push_back(std::move(e));
        set.entries.pop_front(); // frees as it goes: no second copy of every entry
    }
    for (int s = 0; s < kSectionCount; ++s) {
        auto sec = static_cast<section>(s);
        auto& v = by_section[s];
        if (is_path_section(sec)) {
            generalise_volatile(v, all);
            if (sec != section::proc_exec && sec != section::proc_signal)
                collapse_directories(v, opts.collapse_threshold);
            drop_subsumed(v);
        }
        std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.subject < b.subject; });
    }

    std::string y;
    std::string command;
    for (const auto& c : infos.front().command) {
        if (!command.empty())
            command += ' ';
        command += c;
    }
    y += "# glassbox allowed-behaviour profile, written by `glassbox learn` from:\n";
    for (const auto& i : infos)
        y += fmt::format("#   {} ({} events{})\n#     sha256:{}{}\n", comment_text(i.name), i.events,
                         i.complete ? "" : ", INCOMPLETE: no summary line", i.digest,
                         i.digest_kind == "chain" ? "" : " (of the file: no verified hash chain)");
    y += "# Every rule allows what the traces did, generalised as docs/learning.md describes; the\n"
         "# comment after each rule says how many events it covers and gives one example.\n"
         "# Review it before use: anything not listed here is a violation for `glassbox check`.\n";
    y += "apiVersion: glassbox/v1\nkind: Profile\nmetadata:\n";
    std::string name = opts.name;
    if (name.empty() && !infos.front().command.empty()) {
        name = infos.front().command.front();
        name = name.substr(name.rfind('/') == std::string::npos ? 0 : name.rfind('/') + 1);
    }
    y += "  name: " + yaml_quote(sanitise(name.empty() ? "unnamed" : name)) + "\n";
    y += "  description: " +
         yaml_quote(sanitise(fmt::format("learned from {} trace{}{}", infos.size(), infos.size() == 1 ? "" : "s",
                                         command.empty() ? "" : " of: " + command))) +
         "\n";

    auto emit_list = [&](std::string_view key, section sec, int indent) {
        auto& v = by_section[static_cast<int>(sec)];
        std::string pad(indent, ' ');
        std::vector<const behaviour_set::entry*> ok;
        std::vector<std::pair<const behaviour_set::entry*, std::string>> bad;
        for (const auto& e : v) {
            auto problem = rule_problem(sec, e.subject);
            if (problem.empty())
                ok.push_back(&e);
            else
                bad.emplace_back(&e, problem);
        }
        y += pad + std::string(key) + ":";
        if (ok.empty() && bad.empty()) {
            y += " []\n";
            return;
        }
        if (ok.empty())
            y += " []";
        y += "\n";
        for (const auto* e : ok) {
            // A rule learned from attempts the kernel refused says so: allowing it keeps the
            // kernel's answer under enforce (ECONNREFUSED stays ECONNREFUSED, not EPERM).
            std::string refused;
            const auto& detail = set.pool.get(e->detail);
            for (std::string_view err : {"ECONNREFUSED", "ENETUNREACH", "EHOSTUNREACH", "ETIMEDOUT"})
                if (detail.find("attempted, ret ") != std::string::npos &&
                    detail.find(fmt::format("({})", err)) != std::string::npos)
                    refused = fmt::format("; attempted, the kernel refused it ({}): allowed so that enforce leaves "
                                          "the answer to the kernel",
                                          err);
            y += fmt::format("{}  - {}  # {} event{}, e.g. {}{}{}\n", pad, yaml_quote(e->subject), e->count,
                             e->count == 1 ? "" : "s", comment_text(e->example_or_subject()),
                             e->chain == 0 ? "" : " (" + comment_text(set.pool.get(e->chain)) + ")", refused);
            ++out.rules;
        }
        for (const auto& [e, problem] : bad) {
            std::string w = fmt::format("{}: cannot write '{}' as a rule ({}); it is left as a comment and "
                                        "stays a violation",
                                        section_name(sec), comment_text(e->subject), problem);
            out.warnings.push_back(w);
            y += fmt::format("{}  # NOT EXPRESSIBLE ({}): {}  # {} events\n", pad, comment_text(problem),
                             comment_text(e->subject), e->count);
        }
    };
    y += "files:\n";
    emit_list("read", section::file_read, 2);
    emit_list("write", section::file_write, 2);
    emit_list("exec", section::file_exec, 2);
    emit_list("delete", section::file_delete, 2);
    emit_list("metadata", section::file_metadata, 2);
    y += "processes:\n";
    emit_list("exec", section::proc_exec, 2);
    emit_list("memfd", section::proc_memfd, 2);
    emit_list("signal", section::proc_signal, 2);
    emit_list("cred", section::proc_cred, 2);
    emit_list("prctl", section::proc_prctl, 2);
    y += "network:\n";
    emit_list("connect", section::net_connect, 2);
    emit_list("bind", section::net_bind, 2);
    emit_list("accept", section::net_accept, 2);
    emit_list("dns", section::net_dns, 2);
    emit_list("sockets", section::net_sockets, 2);
    emit_list("privileged", section::privileged, 0);
    if (!by_section[static_cast<int>(section::unknown)].empty()) {
        y += "# Events of types this glassbox does not know (they stay violations):\n";
        for (const auto& e : by_section[static_cast<int>(section::unknown)])
            y += fmt::format("#   {}: {} events\n", comment_text(e.subject), e.count);
    }

    // Learn must never write a profile it cannot read back.
    if (auto p = profile::parse_profile(y, "<learned profile>"); !p)
        return std::unexpected(error{"internal error: the learned profile does not parse: " + p.error().message()});
    out.yaml = std::move(y);
    out.inputs = std::move(infos);
    return out;
}

} // namespace glassbox::analysis
