// `glassbox scan --diff OLD NEW`: what an update changed in the static capability surface, as
// findings ranked by risk. Binaries are matched by their path relative to the scanned tree (or
// paired directly when two files are given). A finding has new_capability set when NEW can do
// something OLD could not: a syscall newly reachable in a binary (or, for an added binary, outside
// everything the OLD tree could reach), a syscall OLD reached only through a libc import that NEW
// now issues at a site of its own (syscall(SYS_x, ...) with a constant number), a new sensitive
// import, or new unresolved syscall sites.
#include <glassbox/scan.hpp>

#include <fmt/color.h>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

namespace glassbox::scan {

namespace {

using json = nlohmann::json;

int id_risk(syscall_id id) {
    if (id.table != abi::x86_64)
        return 120; // another ABI from 64-bit code: the classic filter bypass
    return syscall_risk(syscall_name(id.table, id.nr));
}

std::set<std::string> sensitive_imports_of(const binary_report& r) {
    std::set<std::string> s;
    for (const auto& i : r.imports)
        if (sensitive_import(i))
            s.insert(i);
    return s;
}

} // namespace

diff_result diff_reports(const std::vector<binary_report>& old_reports,
                         const std::vector<std::string>& old_rel,
                         const std::vector<binary_report>& new_reports,
                         const std::vector<std::string>& new_rel) {
    diff_result d;
    d.old_binaries = old_reports.size();
    d.new_binaries = new_reports.size();
    std::map<std::string, const binary_report*> olds, news;
    for (std::size_t i = 0; i < old_reports.size(); ++i)
        olds[i < old_rel.size() ? old_rel[i] : old_reports[i].path] = &old_reports[i];
    for (std::size_t i = 0; i < new_reports.size(); ++i)
        news[i < new_rel.size() ? new_rel[i] : new_reports[i].path] = &new_reports[i];
    // Two single files: compare them whatever their names.
    if (old_reports.size() == 1 && new_reports.size() == 1 &&
        olds.begin()->first != news.begin()->first) {
        auto n = news.begin()->second;
        news.clear();
        news[olds.begin()->first] = n;
    }
    surface old_union;
    for (const auto& r : old_reports)
        for (const auto& [id, ev] : r.all)
            old_union[id];

    auto add = [&](diff_finding f) {
        d.new_capability |= f.new_capability;
        d.findings.push_back(std::move(f));
    };

    for (const auto& [rel, o] : olds)
        if (!news.count(rel))
            add({5, "removed-binary", rel, "", "no longer in NEW", false});

    for (const auto& [rel, n] : news) {
        auto oit = olds.find(rel);
        if (oit == olds.end()) {
            int risk = 20;
            std::vector<std::string> beyond;
            for (const auto& [id, ev] : n->all)
                if (!old_union.count(id)) {
                    beyond.push_back(syscall_label(id));
                    risk = std::max(risk, id_risk(id));
                }
            auto sens = sensitive_imports_of(*n);
            std::string detail =
                n->error.empty() ? fmt::format("{} {}", n->arch, n->type) : n->error;
            if (!sens.empty())
                detail += fmt::format("; sensitive imports: {}", fmt::join(sens, ", "));
            if (!beyond.empty())
                detail +=
                    fmt::format("; syscalls beyond anything in OLD: {}", fmt::join(beyond, ", "));
            add({risk + 10, "added-binary", rel, "", detail, !beyond.empty() || !sens.empty()});
            continue;
        }
        const binary_report& o = *oit->second;
        if (o.sha256 != n->sha256)
            add({2, "changed", rel, "",
                 fmt::format("sha256 {} -> {}", o.sha256.substr(0, 16), n->sha256.substr(0, 16)),
                 false});
        if (!n->error.empty() || !o.error.empty()) {
            if (n->error != o.error)
                add({15, "scan-error", rel, "",
                     fmt::format("OLD: {}; NEW: {}", o.error.empty() ? "ok" : o.error,
                                 n->error.empty() ? "ok" : n->error),
                     !n->error.empty()});
            if (!n->error.empty() || !o.error.empty())
                continue;
        }
        for (const auto& [id, ev] : n->own) {
            if (o.own.count(id))
                continue;
            std::string where =
                ev.empty() ? "" : fmt::format("{} {}", ev.front().kind, ev.front().detail);
            bool via_deps_before = o.all.count(id) > 0;
            add({id_risk(id) + (via_deps_before ? 0 : 5), "new-syscall", rel, syscall_label(id),
                 where +
                     (via_deps_before ? " (was reachable before only through dependencies)" : ""),
                 true});
        }
        // A syscall OLD reached only through an imported libc function (rename() may make
        // renameat2) that NEW's own code now issues at a site, typically syscall(SYS_renameat2,
        // ...) with a constant number: a new way in that bypasses the wrapper, reported as a new
        // syscall with the site.
        auto has_site = [](const std::vector<evidence>& ev) {
            return std::any_of(ev.begin(), ev.end(), [](const evidence& e) { return e.kind == "site"; });
        };
        for (const auto& [id, ev] : n->own) {
            auto oit = o.own.find(id);
            if (oit == o.own.end() || has_site(oit->second) || !has_site(ev))
                continue;
            std::string site, imports;
            for (const auto& e : ev)
                if (e.kind == "site" && site.empty())
                    site = e.detail;
            for (const auto& e : oit->second)
                if (e.kind == "import")
                    imports += (imports.empty() ? "" : ", ") + e.detail;
            add({id_risk(id) + 2, "new-syscall", rel, syscall_label(id),
                 fmt::format("site {} (newly reached directly; OLD reached it only through {})", site,
                             imports.empty() ? "its imports" : imports),
                 true});
        }
        for (const auto& [id, ev] : n->all) {
            if (o.all.count(id) || n->own.count(id))
                continue;
            std::string libs;
            for (const auto& e : ev)
                libs += (libs.empty() ? "" : ", ") + e.detail;
            add({id_risk(id) / 2, "new-syscall-via-dependency", rel, syscall_label(id), libs,
                 true});
        }
        for (const auto& [id, ev] : o.own)
            if (!n->own.count(id))
                add({1, "removed-syscall", rel, syscall_label(id), "", false});
        auto os = sensitive_imports_of(o), ns = sensitive_imports_of(*n);
        for (const auto& i : ns)
            if (!os.count(i)) {
                int risk = 40;
                for (auto sc : libc_function_syscalls(i))
                    risk = std::max(risk, syscall_risk(sc));
                add({risk + 5, "new-sensitive-import", rel, i, "", true});
            }
        std::set<std::string> ok_kinds, nk_kinds;
        for (const auto& u : o.sockets)
            for (auto& k : socket_kinds(u))
                ok_kinds.insert(k);
        for (const auto& u : n->sockets)
            for (auto& k : socket_kinds(u))
                nk_kinds.insert(k);
        for (const auto& k : nk_kinds)
            if (!ok_kinds.count(k)) {
                bool sens = socket_kind_sensitive(k);
                add({sens ? 110 : 25, "new-socket-kind", rel, k, "socket() family/type", sens});
            }
        std::set<std::string> oi(o.imports.begin(), o.imports.end());
        for (const auto& i : n->imports)
            if (!oi.count(i) && !sensitive_import(i))
                add({3, "new-import", rel, i, "", false});
        std::set<std::string> od;
        for (const auto& x : o.dependencies)
            od.insert(x.name);
        for (const auto& x : n->dependencies)
            if (!od.count(x.name))
                add({x.via == "dlopen" ? 25 : 15, "new-dependency", rel, x.name,
                     fmt::format("{} {}", x.via, x.path.empty() ? "(not found)" : x.path), false});
        if (n->unresolved_sites > o.unresolved_sites)
            add({45, "new-unresolved-sites", rel, "",
                 fmt::format("{} -> {} syscall sites with unknown numbers", o.unresolved_sites,
                             n->unresolved_sites),
                 true});
        std::size_t oa = 0, na = 0;
        for (const auto& s : o.sites)
            oa += s.table == abi::i386;
        for (const auto& s : n->sites)
            na += s.table == abi::i386;
        if (na > oa)
            add({120, "new-abi32-site", rel, "",
                 fmt::format("{} -> {} int 0x80/sysenter sites", oa, na), true});
    }
    std::stable_sort(d.findings.begin(), d.findings.end(),
                     [](const diff_finding& a, const diff_finding& b) {
                         if (a.risk != b.risk)
                             return a.risk > b.risk;
                         if (a.binary != b.binary)
                             return a.binary < b.binary;
                         return a.subject < b.subject;
                     });
    return d;
}

json diff_json(const diff_result& d) {
    json f = json::array();
    for (const auto& x : d.findings)
        f.push_back({{"risk", x.risk},
                     {"kind", x.kind},
                     {"binary", x.binary},
                     {"subject", x.subject},
                     {"detail", x.detail},
                     {"new_capability", x.new_capability}});
    return {{"format", "glassbox-scan-diff"},     {"version", 1},
            {"old_binaries", d.old_binaries},     {"new_binaries", d.new_binaries},
            {"new_capability", d.new_capability}, {"findings", f}};
}

std::string diff_text(const diff_result& d, bool colour) {
    std::string out;
    auto style = [&](fmt::text_style st, const std::string& s) {
        return colour ? fmt::format(st, "{}", s) : s;
    };
    for (const auto& x : d.findings) {
        std::string head = fmt::format("[{:>3}] {:<27} {}", x.risk, x.kind, x.binary);
        if (!x.subject.empty())
            head += ": " + x.subject;
        if (x.new_capability)
            head = style(fg(fmt::terminal_color::red) | fmt::emphasis::bold, head);
        out += head;
        if (!x.detail.empty())
            out += style(fmt::emphasis::faint, "  " + x.detail);
        out += "\n";
    }
    out +=
        fmt::format("{} binaries in OLD, {} in NEW, {} findings; {}\n", d.old_binaries,
                    d.new_binaries, d.findings.size(),
                    d.new_capability ? "NEW can do something OLD could not" : "no new capability");
    return out;
}

std::string diff_markdown(const diff_result& d) {
    auto esc = [](std::string s) {
        std::string o;
        for (char c : s) {
            if (c == '|' || c == '`' || c == '*' || c == '_' || c == '<' || c == '>')
                o += '\\';
            o += c == '\n' ? ' ' : c;
        }
        return o;
    };
    std::string out = "# glassbox scan --diff\n\n";
    out += fmt::format("{} binaries in OLD, {} in NEW. **{}**\n\n", d.old_binaries, d.new_binaries,
                       d.new_capability ? "NEW can do something OLD could not."
                                        : "No new capability.");
    out += "| risk | finding | binary | subject | detail | new capability "
           "|\n|---:|---|---|---|---|---|\n";
    for (const auto& x : d.findings)
        out += fmt::format("| {} | {} | {} | {} | {} | {} |\n", x.risk, x.kind, esc(x.binary),
                           esc(x.subject), esc(x.detail), x.new_capability ? "yes" : "");
    return out;
}

} // namespace glassbox::scan
