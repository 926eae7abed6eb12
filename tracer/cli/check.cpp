// glassbox check: the CI gate. Loads a profile, streams a trace through it and prints every
// behaviour outside it (grouped by rule section, with process chain and first occurrence).
// Exit 0 clean, 1 violations, 2 when the profile or trace cannot be read.
#include "cli/partial_trace.hpp"
#include "cli/report_output.hpp"

#include <glassbox/analysis.hpp>
#include <glassbox/cli.hpp>
#include <glassbox/error.hpp>
#include <glassbox/log.hpp>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <memory>

namespace glassbox {

namespace {

struct check_options {
    std::string profile;
    std::string trace;
    report_output_options output;
    bool accept_partial = false;
};

} // namespace

void register_check(CLI::App& app) {
    auto opts = std::make_shared<check_options>();
    auto* cmd = app.add_subcommand("check", "List every traced action outside an allowed profile (CI gate)");
    cmd->add_option("-p,--profile", opts->profile, "Allowed profile (YAML, docs/profile-format.md)")
        ->required();
    cmd->add_option("trace", opts->trace, "Trace file written by glassbox run/attach/enforce ('-' = stdin)")
        ->required();
    add_report_output_options(cmd, opts->output);
    add_accept_partial_option(cmd, opts->accept_partial);
    cmd->footer(R"(Every behaviour in the trace that the profile does not allow is listed once, grouped by
rule section (privileged, network, processes, files), with how many events did it, where it
first happened (file:line, time since start), and the process chain (clamscan → sh → curl).
A partial trace (no summary line: the recording was killed, or the file was cut) is refused
with one line saying how it ended, unless --accept-partial. A trace whose hash chain does not
hold (an edited line) is refused. The report names the trace's digest (sha256).

Exit status: 0 clean, 1 violations found, 2 the profile or trace could not be read, or the
trace is partial (without --accept-partial) or edited.

Examples:
  glassbox check --profile profiles/clamscan.yaml scan.trace
  glassbox check -p clamscan.yaml --format json scan.trace > report.json
  glassbox check -p clamscan.yaml --format markdown scan.trace >> review.md
  glassbox check -p clamscan.yaml --accept-partial killed.trace.partial)");
    cmd->callback([opts] {
        auto p = profile::load_profile(opts->profile);
        if (!p)
            throw fatal_error(exit_code::usage, p.error().message());
        auto rep = analysis::check_trace(*p, opts->profile, opts->trace);
        if (!rep)
            throw fatal_error(exit_code::usage, rep.error().message);
        require_complete(rep->trace.partial, opts->accept_partial);
        print_report(*rep, opts->output, rep->violations.empty());
    });
}

} // namespace glassbox
