// glassbox check: the CI gate. Loads a profile, streams a trace through it and prints every
// behaviour outside it (grouped by rule section, with process chain and first occurrence).
// Exit 0 clean, 1 violations, 2 when the profile or trace cannot be read.
#include <glassbox/analysis.hpp>
#include <glassbox/cli.hpp>
#include <glassbox/error.hpp>
#include <glassbox/log.hpp>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>

namespace glassbox {

namespace {

struct check_options {
    std::string profile;
    std::string trace;
    std::string format = "text";
    std::string color = "auto";
};

} // namespace

analysis::report_format parse_report_format(const std::string& f); // diff.cpp
bool report_colour(const std::string& color, analysis::report_format f); // diff.cpp

void register_check(CLI::App& app) {
    auto opts = std::make_shared<check_options>();
    auto* cmd = app.add_subcommand("check", "List every traced action outside an allowed profile (CI gate)");
    cmd->add_option("-p,--profile", opts->profile, "Allowed profile (YAML, docs/profile-format.md)")
        ->required();
    cmd->add_option("trace", opts->trace, "Trace file written by glassbox run/attach/enforce ('-' = stdin)")
        ->required();
    cmd->add_option("-f,--format", opts->format, "Report format: text, json or markdown")
        ->check(CLI::IsMember({"text", "json", "markdown"}))
        ->capture_default_str();
    cmd->add_option("--color", opts->color, "Colour the text report: auto (when stdout is a terminal), always, never")
        ->check(CLI::IsMember({"auto", "always", "never"}))
        ->capture_default_str();
    cmd->footer(R"(Every behaviour in the trace that the profile does not allow is listed once, grouped by
rule section (privileged, network, processes, files), with how many events did it, where it
first happened (file:line, time since start), and the process chain (clamscan → sh → curl).
An incomplete trace (no summary line) is checked with a warning.

Exit status: 0 clean, 1 violations found, 2 the profile or trace could not be read.

Examples:
  glassbox check --profile profiles/clamscan.yaml scan.trace
  glassbox check -p clamscan.yaml --format json scan.trace > report.json
  glassbox check -p clamscan.yaml --format markdown scan.trace >> review.md)");
    cmd->callback([opts] {
        auto p = profile::load_profile(opts->profile);
        if (!p)
            throw fatal_error(exit_code::usage, p.error().message());
        auto rep = analysis::check_trace(*p, opts->profile, opts->trace);
        if (!rep)
            throw fatal_error(exit_code::usage, rep.error().message);
        auto f = parse_report_format(opts->format);
        std::string text = analysis::render(*rep, f, report_colour(opts->color, f));
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
        set_command_exit(rep->violations.empty() ? to_int(exit_code::ok) : to_int(exit_code::violations));
    });
}

} // namespace glassbox
