// Rendering of the review dossier as terminal text, Markdown and JSON. The JSON is the stable
// contract (docs/review.md lists every field; "format":"glassbox-review","version":1) and the HTML
// dossier (review_html.cpp) embeds it for its filters and charts.
#include "engine.hpp"
#include "review_render.hpp"

#include <glassbox/review.hpp>

#include <fmt/color.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace glassbox::analysis {

namespace {

using json = nlohmann::json;

std::string seconds(std::int64_t ns) { return fmt::format("+{:.6f}s", static_cast<double>(ns) / 1e9); }

std::string md_escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '|' || c == '`' || c == '*' || c == '_' || c == '<' || c == '>' || c == '[' || c == ']' || c == '\\')
            out.push_back('\\');
        out.push_back(c == '\n' ? ' ' : c);
    }
    return out;
}

std::string md_code(std::string_view s) {
    std::string body;
    for (char c : s)
        body.push_back(c == '|' ? '/' : c == '`' ? '\'' : c);
    return "`" + body + "`";
}

std::string stability(const review_change& c) {
    if (c.runs_seen == c.runs_total)
        return fmt::format("every {} run ({}/{})", c.change == "new" ? "new" : "old", c.runs_seen, c.runs_total);
    return fmt::format("some {} runs ({}/{})", c.change == "new" ? "new" : "old", c.runs_seen, c.runs_total);
}

std::string where(const review_evidence& e) {
    return fmt::format("{}:{} ({}) by {} [pid {}]", e.file, e.line, seconds(e.ts), e.chain.empty() ? e.comm : e.chain,
                       e.pid);
}

} // namespace

json review_json(const review_report& r) {
    json traces = json::array();
    for (const auto& t : r.traces) {
        json roots = json::object();
        for (const auto& [name, path] : t.info.roots)
            roots[name] = path;
        json coverage = nullptr;
        if (!t.info.coverage_json.empty())
            coverage = json::parse(t.info.coverage_json, nullptr, false);
        traces.push_back({{"side", t.side},
                          {"file", t.info.name},
                          {"events", t.info.events},
                          {"complete", t.info.complete},
                          {"lost", t.info.lost},
                          {"duration_ns", t.info.duration_ns},
                          {"command", t.info.command},
                          {"cwd", t.info.cwd},
                          {"host", t.info.host},
                          {"roots", roots},
                          {"coverage", coverage},
                          {"gaps", t.gaps}});
    }
    json changes = json::array();
    for (const auto& c : r.changes) {
        changes.push_back({{"id", c.id},
                           {"change", c.change},
                           {"section", section_name(c.sec)},
                           {"group", section_group(c.sec)},
                           {"subject", c.subject},
                           {"risk", c.risk},
                           {"why", c.why},
                           {"count", c.count},
                           {"runs", {{"seen", c.runs_seen}, {"total", c.runs_total}}},
                           {"outside_profile", c.outside_profile},
                           {"syscall", c.syscall},
                           {"operation", c.first.operation},
                           {"static", c.static_view},
                           {"evidence",
                            {{"file", c.first.file},
                             {"line", c.first.line},
                             {"ts", c.first.ts},
                             {"pid", c.first.pid},
                             {"comm", c.first.comm},
                             {"chain", c.first.chain},
                             {"example", c.first.example}}}});
    }
    json violations = json::array();
    for (const auto& f : r.violations_list)
        violations.push_back({{"section", section_name(f.sec)},
                              {"subject", f.subject},
                              {"count", f.count},
                              {"detail", f.detail},
                              {"evidence",
                               {{"file", f.source},
                                {"line", f.first_line},
                                {"ts", f.first_ts},
                                {"pid", f.pid},
                                {"chain", f.chain}}}});
    json st = nullptr;
    if (r.static_compared) {
        st = scan::diff_json(r.static_diff);
        st["old_package"] = r.old_package;
        st["new_package"] = r.new_package;
    }
    json join = json::array();
    for (const auto& j : r.join)
        join.push_back({{"kind", j.kind},
                        {"syscall", j.syscall},
                        {"binary", j.binary},
                        {"static_evidence", j.static_evidence},
                        {"change", j.change_id},
                        {"observed", j.observed}});
    json procs = json::array();
    for (const auto& p : r.processes)
        procs.push_back({{"pid", p.pid}, {"ppid", p.ppid}, {"name", p.name}, {"argv", p.argv}, {"ts", p.ts}, {"root", p.root}});
    json timelines = json::array();
    for (const auto& t : r.timelines) {
        json fam = json::object();
        for (std::size_t i = 0; i < t.families.size(); ++i)
            fam[t.families[i]] = t.counts[i];
        timelines.push_back({{"trace", t.trace}, {"side", t.side}, {"bin_ns", t.bin_ns}, {"families", fam}});
    }
    return {{"format", "glassbox-review"},
            {"version", 1},
            {"title", r.title},
            {"verdict",
             {{"summary", r.verdict_line()},
              {"new_behaviour", r.new_behaviour},
              {"violations", r.profile.empty() ? json(nullptr) : json(r.violations)},
              {"new_static_capability", r.static_compared ? json(r.new_static_capability) : json(nullptr)},
              {"integrity_gaps", r.integrity_gaps},
              {"exit_status", r.exit_status()}}},
            {"profile", r.profile.empty() ? json(nullptr) : json(r.profile)},
            {"traces", traces},
            {"changes", changes},
            {"violations", violations},
            {"static", st},
            {"join", join},
            {"processes", procs},
            {"timelines", timelines},
            {"warnings", r.warnings}};
}

namespace {

std::string render_text(const review_report& r, bool colour) {
    auto paint = [&](std::string_view s, fmt::text_style st) { return colour ? fmt::format(st, "{}", s) : std::string(s); };
    const auto red = fg(fmt::terminal_color::red) | fmt::emphasis::bold;
    const auto green = fg(fmt::terminal_color::green) | fmt::emphasis::bold;
    std::string out = fmt::format("glassbox review: {}\n", r.title);
    out += fmt::format("VERDICT: {}\n", paint(r.verdict_line(), r.exit_status() ? red : green));
    for (const auto& t : r.traces) {
        out += fmt::format("  {} run: {} ({} events{}{})\n", t.side, t.info.name, t.info.events,
                           t.info.complete ? "" : ", INCOMPLETE", t.info.lost ? fmt::format(", {} LOST", t.info.lost) : "");
        for (const auto& g : t.gaps)
            out += fmt::format("    {} {}\n", paint("gap:", red), g);
    }
    if (!r.traces.empty() && !r.traces.front().info.roots.empty()) {
        out += "  run roots (first run): ";
        bool first = true;
        for (const auto& [n, p] : r.traces.front().info.roots) {
            out += fmt::format("{}{}={}", first ? "" : ", ", n, p);
            first = false;
        }
        out += "\n";
    }
    if (!r.profile.empty())
        out += fmt::format("  profile: {}\n", r.profile);
    if (r.static_compared)
        out += fmt::format("  packages: {} -> {}\n", r.old_package, r.new_package);
    for (const auto& w : r.warnings)
        out += fmt::format("  warning: {}\n", w);

    if (!r.changes.empty()) {
        out += fmt::format("\n{}\n", paint("Changes, ranked by risk:", fmt::emphasis::bold));
        for (const auto& c : r.changes) {
            out += fmt::format("  [{:>3}] {} {:<17} {}  {} event{}, {}{}\n", c.risk, c.change == "new" ? "+" : "-",
                               section_name(c.sec), paint(c.subject, c.change == "new" ? red : fmt::text_style{}),
                               c.count, c.count == 1 ? "" : "s", stability(c), c.outside_profile ? ", OUTSIDE PROFILE" : "");
            if (!c.first.operation.empty())
                out += fmt::format("          operation: {}\n", c.first.operation);
            if (c.first.example != c.subject)
                out += fmt::format("          e.g. {}\n", c.first.example);
            out += fmt::format("          evidence: {}\n", where(c.first));
            if (!c.static_view.empty())
                out += fmt::format("          static: {}\n", c.static_view);
            std::string why;
            for (const auto& w : c.why)
                why += (why.empty() ? "" : ", ") + w;
            out += fmt::format("          risk: {}\n", why);
        }
    }
    if (!r.violations_list.empty()) {
        out += fmt::format("\n{}\n", paint("Profile violations in the new runs:", fmt::emphasis::bold));
        for (const auto& f : r.violations_list)
            out += fmt::format("  {:<17} {}  {} events  {}:{} by {}{}\n", section_name(f.sec), f.subject, f.count,
                               f.source, f.first_line, f.chain, f.detail.empty() ? "" : "  (" + f.detail + ")");
    }
    if (!r.join.empty()) {
        out += fmt::format("\n{}\n", paint("Static and observed:", fmt::emphasis::bold));
        for (const auto& j : r.join)
            out += fmt::format("  {:<30} {:<14} {}{}{}{}\n", j.kind, j.syscall, j.binary,
                               j.static_evidence.empty() ? "" : " " + j.static_evidence,
                               j.observed ? fmt::format("; {} events in the new runs", j.observed) : "",
                               j.change_id.empty() ? "" : " -> change " + j.change_id);
    }
    if (r.static_compared) {
        out += fmt::format("\n{}\n", paint("Static diff (scan --diff):", fmt::emphasis::bold));
        out += scan::diff_text(r.static_diff, colour);
    }
    return out;
}

std::string render_markdown(const review_report& r) {
    std::string out = fmt::format("# glassbox review: {}\n\n**Verdict: {}**\n\n", md_escape(r.title), md_escape(r.verdict_line()));
    out += "| Side | Trace | Events | Complete | Lost | Gaps |\n|---|---|---:|---|---:|---|\n";
    for (const auto& t : r.traces) {
        std::string gaps;
        for (const auto& g : t.gaps)
            gaps += (gaps.empty() ? "" : "; ") + md_escape(g);
        out += fmt::format("| {} | {} | {} | {} | {} | {} |\n", t.side, md_code(t.info.name), t.info.events,
                           t.info.complete ? "yes" : "**no**", t.info.lost, gaps);
    }
    if (!r.profile.empty())
        out += fmt::format("\nProfile: {}\n", md_code(r.profile));
    if (r.static_compared)
        out += fmt::format("\nPackages: {} -> {}\n", md_code(r.old_package), md_code(r.new_package));
    if (!r.changes.empty()) {
        out += "\n## Changes, ranked by risk\n\n| # | Risk | Change | Section | Behaviour | Operation | Runs | Outside profile | Evidence | Static |\n"
               "|---|---:|---|---|---|---|---|---|---|---|\n";
        for (const auto& c : r.changes)
            out += fmt::format("| {} | {} | {} | {} | {} | {} | {}/{} | {} | {} | {} |\n", c.id, c.risk, c.change,
                               section_name(c.sec), md_code(c.subject), md_escape(c.first.operation), c.runs_seen,
                               c.runs_total, c.outside_profile ? "**yes**" : "", md_escape(where(c.first)),
                               md_escape(c.static_view));
    } else {
        out += "\nNo change in behaviour between the runs.\n";
    }
    if (!r.violations_list.empty()) {
        out += "\n## Profile violations in the new runs\n\n| Section | Behaviour | Events | Evidence | Detail |\n|---|---|---:|---|---|\n";
        for (const auto& f : r.violations_list)
            out += fmt::format("| {} | {} | {} | {} | {} |\n", section_name(f.sec), md_code(f.subject), f.count,
                               md_escape(fmt::format("{}:{} by {}", f.source, f.first_line, f.chain)), md_escape(f.detail));
    }
    if (!r.join.empty()) {
        out += "\n## Static and observed\n\n| Kind | Syscall | Binary | Static evidence | Observed events | Change |\n"
               "|---|---|---|---|---:|---|\n";
        for (const auto& j : r.join)
            out += fmt::format("| {} | {} | {} | {} | {} | {} |\n", j.kind, md_code(j.syscall), md_escape(j.binary),
                               md_escape(j.static_evidence), j.observed, j.change_id);
    }
    if (r.static_compared) {
        out += "\n## Static diff\n\n";
        auto md = scan::diff_markdown(r.static_diff);
        auto nl = md.find("\n\n"); // drop scan's own title
        out += nl == std::string::npos ? md : md.substr(nl + 2);
    }
    return out;
}

} // namespace

std::string render_review(const review_report& r, review_format f, bool colour) {
    switch (f) {
    case review_format::json:
        return review_json(r).dump(2, ' ', false, json::error_handler_t::replace) + "\n";
    case review_format::markdown:
        return render_markdown(r);
    case review_format::html:
        return render_review_html(r);
    case review_format::text:
        break;
    }
    return render_text(r, colour);
}

} // namespace glassbox::analysis
