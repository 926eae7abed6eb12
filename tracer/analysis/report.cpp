// Report rendering for check and diff: plain text (coloured when the caller says stdout is a
// terminal), JSON (nlohmann, stable field names for CI tooling) and Markdown (for review
// tickets). Reports are output: they go to stdout, never through the logger.
#include "engine.hpp"

#include <fmt/color.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace glassbox::analysis {

namespace {

struct painter {
    bool on;
    std::string operator()(std::string_view s, fmt::text_style st) const {
        return on ? fmt::format(st, "{}", s) : std::string(s);
    }
};

std::string plural(std::uint64_t n, std::string_view word) {
    return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

std::string first_seen(const finding& f) {
    std::string s;
    if (f.first_line)
        s = fmt::format("first at {}:{}", f.source.empty() ? "line" : f.source, f.first_line);
    if (f.first_ts)
        s += fmt::format(" (+{:.6f}s)", static_cast<double>(f.first_ts) / 1e9);
    if (!f.chain.empty())
        s += fmt::format(" by {}", f.chain);
    if (f.pid)
        s += fmt::format(" [pid {}]", f.pid);
    return s;
}

nlohmann::json finding_json(const finding& f) {
    nlohmann::json j = {{"section", section_name(f.sec)},
                        {"group", section_group(f.sec)},
                        {"subject", f.subject},
                        {"count", f.count}};
    if (!f.example.empty() && f.example != f.subject)
        j["example"] = f.example;
    if (f.first_line) {
        nlohmann::json first = {{"file", f.source}, {"line", f.first_line}};
        if (f.first_ts)
            first["ts"] = f.first_ts;
        if (f.pid)
            first["pid"] = f.pid;
        if (!f.comm.empty())
            first["comm"] = f.comm;
        if (!f.chain.empty())
            first["chain"] = f.chain;
        j["first"] = first;
    }
    if (!f.detail.empty())
        j["detail"] = f.detail;
    return j;
}

nlohmann::json input_json(const input_info& i) {
    nlohmann::json j = {{"name", i.name}, {"kind", i.kind}};
    if (i.kind == "trace") {
        j["events"] = i.events;
        j["complete"] = i.complete;
        j["lost"] = i.lost;
        j["command"] = i.command;
        j["sha256"] = i.digest;
        j["digest_of"] = i.digest_kind; // "chain": the verified final digest; "file": the bytes read
        if (!i.partial.empty())
            j["partial"] = i.partial;
    }
    return j;
}

std::string md_cell(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '|' || c == '`' || c == '*' || c == '_' || c == '<' || c == '>' || c == '[' || c == ']')
            out.push_back('\\');
        out.push_back(c);
    }
    return out;
}

std::string md_code(std::string_view s) {
    // A code span whose fence is longer than any backtick run inside it.
    std::size_t run = 0, longest = 0;
    for (char c : s) {
        run = c == '`' ? run + 1 : 0;
        longest = std::max(longest, run);
    }
    std::string fence(longest + 1, '`');
    std::string body;
    for (char c : s)
        body.push_back(c == '|' ? '/' : c); // '|' would split the table cell even in code
    return fence + (body.starts_with('`') ? " " : "") + body + (body.ends_with('`') ? " " : "") + fence;
}

std::string input_line(const input_info& i) {
    if (i.kind == "profile")
        return fmt::format("{} (profile)", i.name);
    return fmt::format("{} (trace, {}{}{}, sha256:{}{})", i.name, plural(i.events, "event"),
                       i.complete ? "" : ", INCOMPLETE", i.lost ? fmt::format(", {} LOST", i.lost) : "", i.digest,
                       i.digest_kind == "chain" ? "" : " of the file: no verified chain");
}

void text_findings(std::string& out, const std::vector<finding>& v, const painter& paint, char mark,
                   fmt::text_style subject_style) {
    std::string_view current;
    for (const auto& f : v) {
        auto sec = section_name(f.sec);
        if (sec != current) {
            std::size_t n = 0;
            for (const auto& g : v)
                n += g.sec == f.sec;
            out += fmt::format("  {} ({})\n", paint(sec, fmt::emphasis::bold), n);
            current = sec;
        }
        out += fmt::format("    {}{}  {}\n", mark == ' ' ? "" : std::string(1, mark) + " ",
                           paint(f.subject, subject_style), plural(f.count, "event"));
        if (!f.example.empty() && f.example != f.subject)
            out += fmt::format("        e.g. {}\n", f.example);
        if (auto s = first_seen(f); !s.empty())
            out += fmt::format("        {}\n", s);
        if (!f.detail.empty())
            out += fmt::format("        {}\n", f.detail);
    }
}

void md_findings(std::string& out, const std::vector<finding>& v) {
    out += "| Section | Behaviour | Events | Example | First occurrence | Process chain | Detail |\n"
           "|---|---|---:|---|---|---|---|\n";
    for (const auto& f : v)
        out += fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", section_name(f.sec), md_code(f.subject), f.count,
                           f.example.empty() || f.example == f.subject ? "" : md_code(f.example),
                           f.first_line ? md_cell(fmt::format("{}:{}", f.source, f.first_line)) : "",
                           md_cell(f.chain), md_cell(f.detail));
}

} // namespace

std::string render(const check_report& r, report_format fmt_kind, bool colour) {
    bool clean = r.violations.empty();
    if (fmt_kind == report_format::json) {
        nlohmann::json j = {{"command", "check"},
                            {"result", clean ? "clean" : "violations"},
                            {"trace", input_json(r.trace)},
                            {"profile", r.profile},
                            {"violating_events", r.violating_events},
                            {"violations", nlohmann::json::array()},
                            {"warnings", r.warnings}};
        for (const auto& f : r.violations)
            j["violations"].push_back(finding_json(f));
        return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    }
    std::string out;
    if (fmt_kind == report_format::markdown) {
        out += fmt::format("# glassbox check: {}\n\n", clean ? "clean" : "violations");
        out += fmt::format("- Trace: `{}`\n- Profile: `{}`\n", md_cell(input_line(r.trace)), md_cell(r.profile));
        for (const auto& w : r.warnings)
            out += fmt::format("- **Warning:** {}\n", md_cell(w));
        if (clean) {
            out += fmt::format("\nEvery one of the {} is allowed by the profile.\n", plural(r.trace.events, "event"));
            return out;
        }
        out += fmt::format("\n{} outside the profile ({}), most risky first:\n\n",
                           plural(r.violations.size(), "behaviour"), plural(r.violating_events, "event"));
        md_findings(out, r.violations);
        return out;
    }
    painter paint{colour};
    if (clean)
        out += fmt::format("glassbox check: {}: every one of the {} is allowed\n",
                           paint("clean", fg(fmt::terminal_color::green) | fmt::emphasis::bold),
                           plural(r.trace.events, "event"));
    else
        out += fmt::format("glassbox check: {}: {} outside the profile ({})\n",
                           paint("VIOLATIONS", fg(fmt::terminal_color::red) | fmt::emphasis::bold),
                           plural(r.violations.size(), "behaviour"), plural(r.violating_events, "event"));
    out += fmt::format("  trace:   {}\n  profile: {}\n", input_line(r.trace), r.profile);
    for (const auto& w : r.warnings)
        out += fmt::format("  {} {}\n", paint("warning:", fg(fmt::terminal_color::yellow) | fmt::emphasis::bold), w);
    if (!clean) {
        out += "\n";
        text_findings(out, r.violations, paint, ' ', fg(fmt::terminal_color::red));
    }
    return out;
}

std::string render(const diff_report& r, report_format fmt_kind, bool colour) {
    bool same = r.added.empty() && r.removed.empty();
    if (fmt_kind == report_format::json) {
        nlohmann::json j = {{"command", "diff"},
                            {"result", !r.added.empty() ? "new-behaviour" : same ? "same" : "less-behaviour"},
                            {"old", input_json(r.old_input)},
                            {"new", input_json(r.new_input)},
                            {"added", nlohmann::json::array()},
                            {"removed", nlohmann::json::array()},
                            {"warnings", r.warnings}};
        for (const auto& f : r.added)
            j["added"].push_back(finding_json(f));
        for (const auto& f : r.removed)
            j["removed"].push_back(finding_json(f));
        return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    }
    std::string out;
    if (fmt_kind == report_format::markdown) {
        out += fmt::format("# glassbox diff: {}\n\n",
                           same ? "no difference in behaviour"
                                : fmt::format("{} new, {} gone", plural(r.added.size(), "behaviour"),
                                              plural(r.removed.size(), "behaviour")));
        out += fmt::format("- Old: `{}`\n- New: `{}`\n", md_cell(input_line(r.old_input)), md_cell(input_line(r.new_input)));
        for (const auto& w : r.warnings)
            out += fmt::format("- **Warning:** {}\n", md_cell(w));
        if (!r.added.empty()) {
            out += "\n## New in NEW (ranked by risk)\n\n";
            md_findings(out, r.added);
        }
        if (!r.removed.empty()) {
            out += "\n## No longer in NEW\n\n";
            md_findings(out, r.removed);
        }
        return out;
    }
    painter paint{colour};
    if (same)
        out += fmt::format("glassbox diff: {}\n", paint("no difference in behaviour", fg(fmt::terminal_color::green) | fmt::emphasis::bold));
    else
        out += fmt::format("glassbox diff: NEW does {} OLD did not; {} OLD did {} gone\n",
                           paint(plural(r.added.size(), "thing"),
                                 r.added.empty() ? fmt::text_style{} : fg(fmt::terminal_color::red) | fmt::emphasis::bold),
                           plural(r.removed.size(), "thing"), r.removed.size() == 1 ? "is" : "are");
    out += fmt::format("  old: {}\n  new: {}\n", input_line(r.old_input), input_line(r.new_input));
    for (const auto& w : r.warnings)
        out += fmt::format("  {} {}\n", paint("warning:", fg(fmt::terminal_color::yellow) | fmt::emphasis::bold), w);
    if (!r.added.empty()) {
        out += fmt::format("\n{}\n", paint("New in NEW (ranked by risk):", fmt::emphasis::bold));
        text_findings(out, r.added, paint, '+', fg(fmt::terminal_color::red));
    }
    if (!r.removed.empty()) {
        out += fmt::format("\n{}\n", paint("No longer in NEW:", fmt::emphasis::bold));
        text_findings(out, r.removed, paint, '-', fg(fmt::terminal_color::yellow));
    }
    return out;
}

} // namespace glassbox::analysis
