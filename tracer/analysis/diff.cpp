// diff: what NEW does that OLD did not, and what OLD did that NEW no longer does. Inputs are
// traces or profiles. Traces are compared as sets of normalised behaviours (the learn
// normaliser), so run-to-run noise (pids, temp names, versions) does not show; a trace against a
// profile is compared with the profile's matchers; two profiles rule by rule.
#include "engine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>
#include <unordered_map>

namespace glassbox::analysis {

namespace {

struct rule_ref {
    section sec;
    std::string text;
    int line;
};

// Every rule of a profile with its section.
std::vector<rule_ref> rules_of(const profile::profile& p) {
    std::vector<rule_ref> out;
    auto globs = [&](section s, const std::vector<profile::path_rule>& v) {
        for (const auto& r : v)
            out.push_back({s, r.pattern.text(), r.pos.line});
    };
    auto eps = [&](section s, const std::vector<profile::endpoint_rule>& v) {
        for (const auto& r : v)
            out.push_back({s, r.pattern.text(), r.pos.line});
    };
    auto names = [&](section s, const std::vector<profile::name_rule>& v) {
        for (const auto& r : v)
            out.push_back({s, r.pattern, r.pos.line});
    };
    globs(section::file_read, p.files.read);
    globs(section::file_write, p.files.write);
    globs(section::file_exec, p.files.exec);
    globs(section::file_delete, p.files.remove);
    globs(section::file_metadata, p.files.metadata);
    globs(section::proc_exec, p.processes.exec);
    globs(section::proc_memfd, p.processes.memfd);
    globs(section::proc_signal, p.processes.signal);
    names(section::proc_cred, p.processes.cred);
    names(section::proc_prctl, p.processes.prctl);
    eps(section::net_connect, p.network.connect);
    eps(section::net_bind, p.network.bind);
    eps(section::net_accept, p.network.accept);
    for (const auto& r : p.network.dns)
        out.push_back({section::net_dns, r.pattern.text(), r.pos.line});
    globs(section::net_sockets, p.network.sockets);
    names(section::privileged, p.privileged);
    return out;
}

finding rule_finding(const rule_ref& r, const std::string& source, const char* what) {
    finding f;
    f.sec = r.sec;
    f.subject = sanitise(r.text);
    f.example = f.subject;
    f.first_line = static_cast<std::uint64_t>(r.line);
    f.detail = fmt::format("{} (profile line {})", what, r.line);
    f.source = source;
    return f;
}

} // namespace

// Groups many findings in one directory of a file section into one "area" finding.
void group_areas(std::vector<finding>& v, std::size_t threshold) {
    group_by_directory(v, threshold, [](const finding&) { return std::string_view(); },
                       [&v](const std::vector<std::size_t>& members, const std::string& dir) {
                           finding a = v[members.front()];
                           a.subject = dir + "/*";
                           a.count = 0;
                           for (auto i : members)
                               a.count += v[i].count;
                           a.detail = fmt::format("{} distinct paths in this directory, e.g. {}", members.size(),
                                                  v[members.front()].example);
                           return a;
                       });
}

// Run-to-run noise the normaliser could not see in one path (docs/learning.md, "diff"): a
// mkstemp suffix that came out letters only ("x-gwpxkm") stays literal, while the other run's
// suffix (with a digit) became "x-*". Drops
//  - an added or removed literal whose letters-only suffix, starred, is a behaviour of the other
//    side (`in_other` answers for each side: OLD for added, NEW for removed);
//  - a pattern on one side that a literal of the other side stars into;
//  - a literal pair (one added, one removed, paired 1:1) of the same length differing only in
//    the random part of one name (looks_volatile_pair).
// Candidates of the last rule share a skeleton (letters and digits blurred, punctuation kept),
// so this is linear in practice; each entry is compared with at most 256 candidates.
void cancel_volatile_pairs(std::vector<finding>& added, std::vector<finding>& removed, const has_behaviour& in_old,
                           const has_behaviour& in_new) {
    std::vector<bool> drop_added(added.size()), drop_removed(removed.size());
    // Star forms of each side's literals, and the star patterns they name.
    auto star_index = [](const std::vector<finding>& v) {
        std::map<std::pair<section, std::string>, std::vector<std::size_t>> out;
        for (std::size_t i = 0; i < v.size(); ++i)
            if (is_path_section(v[i].sec))
                for (auto& star : letter_run_star_forms(v[i].subject))
                    out[{v[i].sec, std::move(star)}].push_back(i);
        return out;
    };
    auto added_stars = star_index(added), removed_stars = star_index(removed);
    for (std::size_t i = 0; i < added.size(); ++i) {
        if (!is_path_section(added[i].sec))
            continue;
        for (const auto& star : letter_run_star_forms(added[i].subject))
            if (in_old(added[i].sec, star))
                drop_added[i] = true;
        if (removed_stars.contains({added[i].sec, added[i].subject}))
            drop_added[i] = true;
    }
    for (std::size_t j = 0; j < removed.size(); ++j) {
        if (!is_path_section(removed[j].sec))
            continue;
        for (const auto& star : letter_run_star_forms(removed[j].subject))
            if (in_new(removed[j].sec, star))
                drop_removed[j] = true;
        if (added_stars.contains({removed[j].sec, removed[j].subject}))
            drop_removed[j] = true;
    }
    // Literal pairs of one shape, 1:1.
    auto skeleton = [](const finding& f) {
        std::string k(1, static_cast<char>(f.sec));
        for (char c : f.subject)
            k.push_back(std::isalnum(static_cast<unsigned char>(c)) ? 'a' : c);
        return k;
    };
    std::unordered_map<std::string, std::vector<std::size_t>> removed_by_shape;
    for (std::size_t j = 0; j < removed.size(); ++j)
        if (!drop_removed[j] && is_path_section(removed[j].sec))
            removed_by_shape[skeleton(removed[j])].push_back(j);
    for (std::size_t i = 0; i < added.size(); ++i) {
        if (drop_added[i] || !is_path_section(added[i].sec))
            continue;
        auto it = removed_by_shape.find(skeleton(added[i]));
        if (it == removed_by_shape.end())
            continue;
        std::size_t tried = 0;
        for (auto j : it->second) {
            if (++tried > 256)
                break;
            if (!drop_removed[j] && looks_volatile_pair(added[i].subject, removed[j].subject)) {
                drop_added[i] = drop_removed[j] = true;
                break;
            }
        }
    }
    auto keep = [](std::vector<finding>& v, const std::vector<bool>& drop) {
        std::vector<finding> out;
        for (std::size_t i = 0; i < v.size(); ++i)
            if (!drop[i])
                out.push_back(std::move(v[i]));
        v = std::move(out);
    };
    keep(added, drop_added);
    keep(removed, drop_removed);
}

namespace {

struct loaded_profile {
    profile::profile p;
    input_info info;
};

result<loaded_profile> load_side_profile(const std::filesystem::path& file) {
    auto p = profile::load_profile(file);
    if (!p) // it was taken for a profile because it does not start like a trace: say both
        return std::unexpected(
            error{p.error().message() + " (read as a profile: it is not a trace, whose first line is a JSON header)"});
    loaded_profile lp{std::move(*p), {}};
    lp.info.name = file.string();
    lp.info.kind = "profile";
    return lp;
}

// A trace side streamed against the other side's profile: behaviours it has that the profile
// does not allow, and the profile rules it never used.
result<input_info> trace_against_profile(const std::filesystem::path& trace_file, const profile::profile& p,
                                         std::vector<finding>& outside, std::set<const void*>& used_rules,
                                         std::vector<std::string>& warnings) {
    behaviour_set set;
    auto info = collect(trace_file, set, 1, warnings, [&](const behaviour& b, const trace::event&) {
        const void* rule = nullptr;
        if (allowed_by(p, b, &rule)) {
            used_rules.insert(rule);
            return false;
        }
        return true;
    });
    if (!info)
        return info;
    for (const auto& e : set.entries)
        outside.push_back(set.to_finding(e));
    return info;
}

// Profile rules never used, as findings.
std::vector<finding> unused_rules(const profile::profile& p, const std::set<const void*>& used,
                                  const std::string& source, const char* what) {
    std::vector<finding> out;
    auto visit = [&](section s, const auto& rules) {
        for (const auto& r : rules)
            if (!used.contains(static_cast<const void*>(&r))) {
                rule_ref ref{s, {}, r.pos.line};
                if constexpr (std::is_same_v<std::decay_t<decltype(r.pattern)>, std::string>)
                    ref.text = r.pattern;
                else
                    ref.text = r.pattern.text();
                out.push_back(rule_finding(ref, source, what));
            }
    };
    visit(section::file_read, p.files.read);
    visit(section::file_write, p.files.write);
    visit(section::file_exec, p.files.exec);
    visit(section::file_delete, p.files.remove);
    visit(section::file_metadata, p.files.metadata);
    visit(section::proc_exec, p.processes.exec);
    visit(section::proc_memfd, p.processes.memfd);
    visit(section::proc_signal, p.processes.signal);
    visit(section::proc_cred, p.processes.cred);
    visit(section::proc_prctl, p.processes.prctl);
    visit(section::net_connect, p.network.connect);
    visit(section::net_bind, p.network.bind);
    visit(section::net_accept, p.network.accept);
    visit(section::net_dns, p.network.dns);
    visit(section::net_sockets, p.network.sockets);
    visit(section::privileged, p.privileged);
    return out;
}

} // namespace

result<diff_report> diff_inputs(const std::filesystem::path& old_input, const std::filesystem::path& new_input,
                                const diff_options& opts) {
    return diff_inputs_bounded(old_input, new_input, 1ull << 30, opts);
}

result<diff_report> diff_inputs_bounded(const std::filesystem::path& old_input, const std::filesystem::path& new_input,
                                        std::uint64_t parallel_below_bytes, const diff_options& opts) {
    const bool roots = opts.run_roots;
    auto old_is_trace = looks_like_trace(old_input);
    if (!old_is_trace)
        return std::unexpected(old_is_trace.error());
    auto new_is_trace = looks_like_trace(new_input);
    if (!new_is_trace)
        return std::unexpected(new_is_trace.error());
    diff_report rep;

    if (*old_is_trace && *new_is_trace) {
        behaviour_set old_set, new_set; // with the bounded strategy new_set holds only what OLD lacks
        std::vector<bool> seen;
        has_behaviour in_old, in_new;
        std::error_code ec1, ec2;
        auto bytes = std::filesystem::file_size(old_input, ec1) + std::filesystem::file_size(new_input, ec2);
        if (!ec1 && !ec2 && bytes < parallel_below_bytes) {
            // Small enough to hold both sets: read the two traces at once, one per core.
            std::vector<std::string> old_warnings, new_warnings;
            result<input_info> o = std::unexpected(error{"not read"});
            std::thread old_reader([&] { o = collect(old_input, old_set, 1, old_warnings, {}, nullptr, nullptr, roots); });
            auto n = collect(new_input, new_set, 2, new_warnings, {}, nullptr, nullptr, roots);
            old_reader.join();
            if (!o)
                return std::unexpected(o.error());
            if (!n)
                return std::unexpected(n.error());
            rep.warnings = std::move(old_warnings);
            rep.warnings.insert(rep.warnings.end(), new_warnings.begin(), new_warnings.end());
            rep.old_input = *o;
            rep.new_input = *n;
            in_old = [&](section s, std::string_view p) { return old_set.contains(s, p); };
            in_new = [&](section s, std::string_view p) { return new_set.contains(s, p); };
            for (const auto& e : new_set.entries)
                if (!old_set.contains(e.sec, e.subject))
                    rep.added.push_back(new_set.to_finding(e));
            for (const auto& e : old_set.entries)
                if (!new_set.contains(e.sec, e.subject))
                    rep.removed.push_back(old_set.to_finding(e));
        } else {
            // Large traces: OLD becomes a set of normalised behaviours and NEW is streamed
            // against it, keeping only what OLD lacks: memory is one set plus the differences.
            auto o = collect(old_input, old_set, 1, rep.warnings, {}, nullptr, nullptr, roots);
            if (!o)
                return std::unexpected(o.error());
            seen.assign(old_set.entries.size(), false);
            auto n = collect(new_input, new_set, 2, rep.warnings, {}, &old_set, &seen, roots);
            if (!n)
                return std::unexpected(n.error());
            rep.old_input = *o;
            rep.new_input = *n;
            in_old = [&](section s, std::string_view p) { return old_set.contains(s, p); };
            in_new = [&](section s, std::string_view p) {
                if (new_set.contains(s, p))
                    return true;
                auto i = old_set.find(s, p);
                return i >= 0 && seen[static_cast<std::size_t>(i)];
            };
            for (const auto& e : new_set.entries)
                rep.added.push_back(new_set.to_finding(e));
            for (std::size_t i = 0; i < old_set.entries.size(); ++i)
                if (!seen[i])
                    rep.removed.push_back(old_set.to_finding(old_set.entries[i]));
        }
        sort_findings(rep.added);
        sort_findings(rep.removed);
        cancel_volatile_pairs(rep.added, rep.removed, in_old, in_new);
    } else if (!*old_is_trace && *new_is_trace) {
        auto op = load_side_profile(old_input);
        if (!op)
            return std::unexpected(op.error());
        std::set<const void*> used;
        auto n = trace_against_profile(new_input, op->p, rep.added, used, rep.warnings);
        if (!n)
            return std::unexpected(n.error());
        rep.old_input = op->info;
        rep.new_input = *n;
        rep.removed = unused_rules(op->p, used, op->info.name, "allowed by OLD, not used by NEW");
    } else if (*old_is_trace && !*new_is_trace) {
        auto np = load_side_profile(new_input);
        if (!np)
            return std::unexpected(np.error());
        std::set<const void*> used;
        auto o = trace_against_profile(old_input, np->p, rep.removed, used, rep.warnings);
        if (!o)
            return std::unexpected(o.error());
        rep.old_input = *o;
        rep.new_input = np->info;
        rep.added = unused_rules(np->p, used, np->info.name, "allowed by NEW, never done by OLD");
    } else {
        auto op = load_side_profile(old_input);
        if (!op)
            return std::unexpected(op.error());
        auto np = load_side_profile(new_input);
        if (!np)
            return std::unexpected(np.error());
        rep.old_input = op->info;
        rep.new_input = np->info;
        auto old_rules = rules_of(op->p), new_rules = rules_of(np->p);
        std::set<std::pair<section, std::string>> old_set, new_set;
        for (const auto& r : old_rules)
            old_set.insert({r.sec, r.text});
        for (const auto& r : new_rules)
            new_set.insert({r.sec, r.text});
        for (const auto& r : new_rules)
            if (!old_set.contains({r.sec, r.text}))
                rep.added.push_back(rule_finding(r, np->info.name, "rule only in NEW"));
        for (const auto& r : old_rules)
            if (!new_set.contains({r.sec, r.text}))
                rep.removed.push_back(rule_finding(r, op->info.name, "rule only in OLD"));
    }
    group_areas(rep.added);
    group_areas(rep.removed);
    sort_findings(rep.added);
    sort_findings(rep.removed);
    return rep;
}

} // namespace glassbox::analysis
