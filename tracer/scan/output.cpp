// Rendering of scan reports: JSON (stable, for machines: key names are the contract documented in
// docs/scan.md), text (for a terminal, coloured on a TTY, grouped by category, sensitive syscalls
// first) and the YAML profile document carrying the `syscalls:` allow-list.
#include <glassbox/scan.hpp>

#include <fmt/color.h>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

namespace glassbox::scan {

namespace {

using json = nlohmann::json;

std::string hex(std::uint64_t v) {
    return fmt::format("{:#x}", v);
}

json surface_json(const surface& s) {
    json by_cat = json::object();
    for (auto c : all_categories)
        by_cat[std::string(category_name(c))] = json::array();
    json list = json::array();
    for (const auto& [id, ev] : s) {
        std::string label = syscall_label(id);
        std::string name(syscall_name(id.table, id.nr));
        auto cat = id.table == abi::x86_64 ? syscall_category(name) : category::privileged;
        by_cat[std::string(category_name(cat))].push_back(label);
        json e = json::array();
        for (const auto& x : ev)
            e.push_back({{"kind", x.kind}, {"detail", x.detail}});
        list.push_back({{"name", label},
                        {"abi", abi_name(id.table)},
                        {"nr", id.nr},
                        {"category", category_name(cat)},
                        {"sensitive", id.table != abi::x86_64 || syscall_sensitive(name)},
                        {"evidence", e}});
    }
    return {{"by_category", by_cat}, {"syscalls", list}};
}

json site_json(const site& s) {
    json names = json::array();
    for (auto n : s.numbers)
        names.push_back(n >= 0 && n < 1024 ? syscall_label({s.table, static_cast<int>(n)})
                                           : fmt::format("#{}", n));
    json j = {{"address", hex(s.address)},    {"function", s.function},
              {"instruction", s.instruction}, {"abi", abi_name(s.table)},
              {"numbers", s.numbers},         {"syscalls", names},
              {"resolved", s.resolved},       {"dispatcher", s.dispatcher}};
    if (!s.note.empty())
        j["note"] = s.note;
    return j;
}

} // namespace

json report_json(const std::vector<binary_report>& reports, const scan_stats& stats) {
    json bins = json::array();
    json errors = json::array();
    for (const auto& r : reports) {
        if (!r.error.empty()) {
            errors.push_back({{"path", r.path}, {"error", r.error}});
            continue;
        }
        json deps = json::array();
        for (const auto& d : r.dependencies)
            deps.push_back({{"name", d.name},
                            {"path", d.path.empty() ? json(nullptr) : json(d.path)},
                            {"via", d.via},
                            {"required_by", d.required_by}});
        json sites = json::array();
        for (const auto& s : r.sites)
            sites.push_back(site_json(s));
        json socks = json::array();
        std::set<std::string> kinds;
        for (const auto& u : r.sockets) {
            auto k = socket_kinds(u);
            kinds.insert(k.begin(), k.end());
            socks.push_back({{"address", hex(u.address)},
                             {"function", u.function},
                             {"via", u.via},
                             {"families", u.families},
                             {"types", u.types},
                             {"kinds", k}});
        }
        json sens = json::array();
        for (const auto& i : r.imports)
            if (sensitive_import(i))
                sens.push_back(i);
        bins.push_back(
            {{"path", r.path},
             {"size", r.size},
             {"sha256", r.sha256},
             {"arch", r.arch},
             {"type", r.type},
             {"stripped", r.stripped},
             {"function_source", r.function_source},
             {"functions", r.functions},
             {"interpreter", r.interpreter.empty() ? json(nullptr) : json(r.interpreter)},
             {"soname", r.soname.empty() ? json(nullptr) : json(r.soname)},
             {"needed", r.needed},
             {"runpath", r.runpath},
             {"rpath", r.rpath},
             {"dependencies", deps},
             {"imports", r.imports},
             {"sensitive_imports", sens},
             {"dlopen_names", r.dlopen_names},
             {"dispatchers", r.dispatchers},
             {"sites", sites},
             {"unresolved_sites", r.unresolved_sites},
             {"dependency_unresolved_sites", r.dependency_unresolved_sites},
             {"surface", {{"own", surface_json(r.own)}, {"all", surface_json(r.all)}}},
             {"warnings", r.warnings}});
    }
    return {{"format", "glassbox-scan"},
            {"version", 1},
            {"binaries", bins},
            {"errors", errors},
            {"stats",
             {{"scanned", stats.scanned},
              {"failed", stats.failed},
              {"non_elf_skipped", stats.non_elf},
              {"files_seen", stats.files_seen}}}};
}

std::string report_text(const std::vector<binary_report>& reports, const scan_stats& stats,
                        bool colour, bool verbose) {
    auto style = [&](fmt::text_style st, const std::string& s) {
        return colour ? fmt::format(st, "{}", s) : s;
    };
    const auto bold = fmt::emphasis::bold;
    const auto red = fg(fmt::terminal_color::red) | fmt::emphasis::bold;
    const auto yellow = fg(fmt::terminal_color::yellow);
    const auto dim = fmt::emphasis::faint;
    std::string out;
    for (const auto& r : reports) {
        if (!r.error.empty())
            continue;
        out += style(bold, r.path) + "\n";
        out += fmt::format("  {} {}{}, {} bytes, sha256 {}\n", r.arch, r.type,
                           r.stripped ? " (stripped)" : "", r.size, r.sha256.substr(0, 16));
        std::size_t found = 0;
        for (const auto& d : r.dependencies)
            found += !d.path.empty();
        out += fmt::format("  functions {} (from {}), {} imports, {} dependencies ({} not found)\n",
                           r.functions, r.function_source, r.imports.size(), r.dependencies.size(),
                           r.dependencies.size() - found);
        for (const auto& d : r.dependencies)
            if (d.path.empty())
                out += style(yellow, fmt::format("  dependency not found: {} ({}, from {})\n",
                                                 d.name, d.via, d.required_by));
        std::vector<std::string> sens;
        for (const auto& i : r.imports)
            if (sensitive_import(i))
                sens.push_back(i);
        if (!sens.empty())
            out += fmt::format("  sensitive imports: {}\n",
                               style(red, fmt::format("{}", fmt::join(sens, ", "))));
        {
            std::set<std::string> kinds;
            for (const auto& u : r.sockets)
                for (auto& k : socket_kinds(u))
                    kinds.insert(k);
            std::vector<std::string> shown;
            for (const auto& k : kinds)
                shown.push_back(socket_kind_sensitive(k) ? style(red, k) : k);
            if (!shown.empty())
                out += fmt::format("  sockets: {}\n", fmt::join(shown, ", "));
        }
        if (!r.dlopen_names.empty())
            out += fmt::format("  dlopen candidates: {}\n", fmt::join(r.dlopen_names, ", "));
        std::size_t direct = 0;
        for (const auto& s : r.sites)
            direct += !s.dispatcher;
        out += fmt::format("  syscall sites: {} ({} unresolved){}\n", direct, r.unresolved_sites,
                           r.dispatchers.empty()
                               ? ""
                               : fmt::format(", dispatchers: {}", fmt::join(r.dispatchers, ", ")));
        // Surface by category: own surface in full, dependency-only syscalls counted.
        for (auto c : all_categories) {
            std::vector<std::string> own_names, dep_names;
            for (const auto& [id, ev] : r.all) {
                std::string name(syscall_name(id.table, id.nr));
                auto cat = id.table == abi::x86_64 ? syscall_category(name) : category::privileged;
                if (cat != c)
                    continue;
                std::string label = syscall_label(id);
                bool sensitive = id.table != abi::x86_64 || syscall_sensitive(name);
                std::string shown = sensitive ? style(red, label) : label;
                if (r.own.count(id))
                    own_names.push_back(shown);
                else
                    dep_names.push_back(shown);
            }
            if (own_names.empty() && dep_names.empty())
                continue;
            out += fmt::format("  {:<11} {}", std::string(category_name(c)) + ":",
                               fmt::join(own_names, " "));
            if (!dep_names.empty()) {
                if (verbose)
                    out += style(dim, fmt::format("{}via dependencies: {}",
                                                  own_names.empty() ? "" : " | ",
                                                  fmt::join(dep_names, " ")));
                else
                    out += style(dim, fmt::format("{}+{} via dependencies",
                                                  own_names.empty() ? "" : " ", dep_names.size()));
            }
            out += "\n";
        }
        std::size_t shown = 0;
        for (const auto& s : r.sites) {
            if (s.dispatcher)
                continue;
            if (!verbose && shown >= 20) {
                out += style(dim, "    ... (more sites: --verbose or --format json)\n");
                break;
            }
            ++shown;
            std::vector<std::string> names;
            for (auto n : s.numbers)
                names.push_back(n >= 0 && n < 1024 ? syscall_label({s.table, static_cast<int>(n)})
                                                   : fmt::format("#{}", n));
            std::string what = names.empty() ? style(yellow, "unresolved")
                                             : fmt::format("{}", fmt::join(names, ","));
            out += fmt::format(
                "    {:#x} {:<28} {:<14} {}{}\n", s.address, s.function, s.instruction, what,
                s.resolved || s.note.empty() ? "" : style(dim, "  (" + s.note + ")"));
        }
        for (const auto& w : r.warnings)
            out += style(yellow, "  warning: " + w) + "\n";
        out += "\n";
    }
    out += fmt::format("{} binaries scanned, {} could not be scanned", stats.scanned, stats.failed);
    if (stats.non_elf)
        out += fmt::format(", {} non-ELF files skipped", stats.non_elf);
    out += "\n";
    return out;
}

std::string profile_yaml(const std::vector<binary_report>& reports, const std::string& name) {
    std::set<std::string> names;
    std::set<std::string> foreign;
    std::vector<std::string> paths;
    std::size_t unresolved = 0;
    for (const auto& r : reports) {
        if (!r.error.empty())
            continue;
        paths.push_back(r.path);
        unresolved += r.unresolved_sites + r.dependency_unresolved_sites;
        for (const auto& [id, ev] : r.all) {
            if (id.table != abi::x86_64) {
                foreign.insert(syscall_label(id));
                continue;
            }
            auto n = syscall_name(id.table, id.nr);
            if (!n.empty())
                names.insert(std::string(n));
        }
    }
    std::string out;
    out += "# Generated by `glassbox scan --profile` from the static syscall surface of:\n";
    for (const auto& p : paths)
        out += "#   " + p + "\n";
    out +=
        "# The list is the union over each binary and its dependencies (a sound "
        "over-approximation\n"
        "# of what the code can reach). Review before enforcing; merge into a learned profile.\n";
    if (unresolved)
        out +=
            fmt::format("# WARNING: {} syscall sites have numbers the scan could not recover; a\n"
                        "# syscall made only through them is missing from this list.\n",
                        unresolved);
    if (!foreign.empty())
        out += fmt::format("# Not listed (other syscall ABIs, deny them): {}\n",
                           fmt::join(foreign, ", "));
    out += "apiVersion: glassbox/v1\nkind: Profile\nmetadata:\n";
    out += fmt::format("  name: {}\n", nlohmann::json(name).dump());
    out += "  description: \"syscall allow-list from glassbox scan\"\n";
    out += "syscalls:\n";
    for (const auto& n : names)
        out += "  - " + n + "\n";
    return out;
}

} // namespace glassbox::scan
