// glassbox scan: the CLI of the static capability scanner (tracer/scan/,
// include/glassbox/scan.hpp). Parses options, runs the scanner over files and trees, and renders
// reports, diffs, profile syscall lists and --against checks. Bad input files are one line each on
// stderr; the scan goes on.
#include "cli/partial_trace.hpp"

#include <glassbox/cli.hpp>
#include <glassbox/error.hpp>
#include <glassbox/log.hpp>
#include <glassbox/scan.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <memory>

namespace glassbox {

namespace {

struct scan_cli {
    std::vector<std::string> paths;
    std::vector<std::string> diff;
    std::string format = "text";
    std::string sysroot;
    std::string against;
    bool accept_partial = false;
    std::string output;
    std::string profile_name;
    bool profile = false;
    bool no_deps = false;
    bool no_dlopen = false;
    bool all_sites = false;
};

constexpr const char* kFooter =
    R"(What it reports, for each ELF binary (and every ELF file under a directory):
  sections, symbols (or .eh_frame function starts when stripped), imports, DT_NEEDED resolved like
  ld.so (RUNPATH/RPATH, /etc/ld.so.conf, system dirs, --sysroot), dlopen'ed names found as strings;
  every syscall / sysenter / int 0x80 site with its number recovered from the code, calls through
  libc's syscall() resolved at the call site, unresolved sites marked; imported libc functions
  mapped to their syscalls. The surface is grouped as privileged, process, network, file, other:
  "own" = the binary's code and imports, "all" = own plus every dependency.

Examples:
  glassbox scan /usr/bin/clamscan
  glassbox scan --format json /opt/agent/ > agent-surface.json
  glassbox scan --diff agent-1.0/ agent-1.1/ --format markdown > review.md
  glassbox scan --profile --name agent /opt/agent/bin/agentd > syscalls.yaml
  glassbox scan /usr/bin/ls --against ls.trace.jsonl
  glassbox scan /usr/bin/ls --against ls.trace.jsonl.partial --accept-partial
  glassbox scan --sysroot /srv/unpacked-image /srv/unpacked-image/usr/sbin/agentd

Exit status: 0 scanned (files that could not be scanned are listed, one line each);
  1 --diff: NEW can do something OLD could not / --against: a traced syscall is missing from the
  static surface; 2 bad usage, or no input could be scanned, or the --against trace is partial
  (without --accept-partial) or edited (its hash chain breaks).)";

void write_output(const std::string& path, const std::string& text) {
    if (path.empty() || path == "-") {
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
        return;
    }
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out || !out.write(text.data(), static_cast<std::streamsize>(text.size())) || !out.flush())
        throw fatal_error(exit_code::cant_create, fmt::format("cannot write {}", path));
}

void report_errors(const std::vector<scan::binary_report>& reports) {
    for (const auto& r : reports)
        if (!r.error.empty())
            fmt::print(stderr, "glassbox: scan: {}: {}\n", r.path, r.error);
}

void run_scan(const scan_cli& o) {
    scan::scan_options opts;
    opts.sysroot = o.sysroot;
    opts.follow_dependencies = !o.no_deps;
    opts.include_dlopen = !o.no_dlopen;
    opts.progress = true;
    const bool colour = o.output.empty() && stdout_is_tty();

    if (!o.diff.empty()) {
        if (o.diff.size() != 2 || !o.paths.empty())
            throw fatal_error(exit_code::usage, "--diff takes exactly two paths: OLD NEW");
        if (o.format != "text" && o.format != "json" && o.format != "markdown")
            throw fatal_error(exit_code::usage, "--format must be text, json or markdown");
        scan::scanner s_old(opts), s_new(opts);
        scan::scan_stats st_old, st_new;
        std::vector<std::string> rel_old, rel_new;
        for (const auto& p : o.diff)
            if (!std::filesystem::exists(p))
                throw fatal_error(exit_code::usage,
                                  fmt::format("{}: no such file or directory", p));
        auto old_r = s_old.scan_paths({o.diff[0]}, st_old, &rel_old);
        auto new_r = s_new.scan_paths({o.diff[1]}, st_new, &rel_new);
        report_errors(old_r);
        report_errors(new_r);
        auto d = scan::diff_reports(old_r, rel_old, new_r, rel_new);
        if (o.format == "json")
            write_output(o.output, scan::diff_json(d).dump(2) + "\n");
        else if (o.format == "markdown")
            write_output(o.output, scan::diff_markdown(d));
        else
            write_output(o.output, scan::diff_text(d, colour));
        set_command_exit(d.new_capability ? to_int(exit_code::violations) : 0);
        return;
    }

    if (o.paths.empty())
        throw fatal_error(exit_code::usage,
                          "scan needs at least one PATH (a binary, a library or a directory)");
    if (o.format != "text" && o.format != "json")
        throw fatal_error(exit_code::usage,
                          "--format must be text or json (markdown is for --diff)");
    scan::scanner s(opts);
    scan::scan_stats stats;
    auto reports = s.scan_paths(o.paths, stats);
    report_errors(reports);
    if (stats.scanned == 0)
        throw fatal_error(exit_code::usage, "no input could be scanned");

    if (!o.against.empty()) {
        nlohmann::json all = nlohmann::json::array();
        std::string text;
        bool missing = false, matched = false, partial_said = false;
        for (const auto& r : reports) {
            if (!r.error.empty())
                continue;
            auto res = scan::check_against(r, o.against);
            if (!res)
                throw fatal_error(exit_code::usage, res.error().message);
            if (!partial_said) { // one trace for every binary: said once
                require_complete(res->trace_partial, o.accept_partial);
                partial_said = true;
            }
            if (res->events_matched == 0 && reports.size() > 1)
                continue;
            matched |= res->events_matched > 0;
            missing |= !res->missing.empty();
            all.push_back(scan::against_json(*res));
            text += scan::against_text(*res, colour);
        }
        if (!matched)
            fmt::print(stderr, "glassbox: scan: no event in {} was made by the scanned binaries\n",
                       o.against);
        write_output(o.output, o.format == "json" ? all.dump(2) + "\n" : text);
        set_command_exit(missing ? to_int(exit_code::violations) : 0);
        return;
    }
    if (o.profile) {
        std::string name = o.profile_name;
        if (name.empty())
            name = std::filesystem::path(o.paths.front()).filename().string();
        if (name.empty())
            name = "scanned";
        write_output(o.output, scan::profile_yaml(reports, name));
        return;
    }
    if (o.format == "json")
        write_output(o.output, scan::report_json(reports, stats).dump(2) + "\n");
    else
        write_output(o.output, scan::report_text(reports, stats, colour, o.all_sites));
}

} // namespace

void register_scan(CLI::App& app) {
    auto o = std::make_shared<scan_cli>();
    auto* cmd = app.add_subcommand(
        "scan", "Static capability surface of ELF binaries: the syscalls their code "
                "can reach, and what an update added (no privileges needed)");
    cmd->footer(kFooter);
    cmd->add_option("PATH", o->paths,
                    "ELF executables, shared objects, or directories (every ELF file below)");
    cmd->add_option("--diff", o->diff,
                    "Compare two files or trees: --diff OLD NEW (exit 1 on new capability)")
        ->expected(2);
    cmd->add_option("--format", o->format, "text, json, or markdown (--diff only)")
        ->check(CLI::IsMember({"text", "json", "markdown"}))
        ->capture_default_str();
    cmd->add_option("--sysroot", o->sysroot,
                    "Resolve dependencies and ld.so.conf inside this root (an unpacked image)");
    cmd->add_option("--against", o->against,
                    "Check a trace (JSON Lines) of the binary: every traced syscall must "
                    "be in the static surface");
    add_accept_partial_option(cmd, o->accept_partial);
    cmd->add_flag("--profile", o->profile,
                  "Emit a glassbox/v1 Profile YAML with the `syscalls:` allow-list");
    cmd->add_option("--name", o->profile_name, "metadata.name of the --profile document");
    cmd->add_option("-o,--output", o->output, "Write the report to FILE instead of stdout");
    cmd->add_flag("--no-deps", o->no_deps,
                  "Do not resolve and scan dependencies (own surface only)");
    cmd->add_flag("--no-dlopen", o->no_dlopen,
                  "Do not follow library names found as strings (dlopen candidates)");
    cmd->add_flag("--all-sites", o->all_sites,
                  "Text: list every site and the syscalls reachable only via dependencies");
    cmd->callback([o] { run_scan(*o); });
}

} // namespace glassbox
