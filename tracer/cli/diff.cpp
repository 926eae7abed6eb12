// glassbox diff: compares two versions' behaviour (traces or profiles) and ranks what is new by
// risk; exit 1 when NEW does something OLD did not, so it can gate accepting an update.
#include "cli/partial_trace.hpp"
#include "cli/report_output.hpp"

#include <glassbox/analysis.hpp>
#include <glassbox/cli.hpp>
#include <glassbox/error.hpp>
#include <glassbox/log.hpp>

#include <CLI/CLI.hpp>

#include <memory>

namespace glassbox {

namespace {

struct diff_options {
    std::string old_input, new_input;
    report_output_options output;
    bool accept_partial = false;
    bool no_run_roots = false;
};

} // namespace

void register_diff(CLI::App& app) {
    auto opts = std::make_shared<diff_options>();
    auto* cmd = app.add_subcommand("diff", "Compare two versions' behaviour (traces or profiles), ranked by risk");
    cmd->add_option("old", opts->old_input, "OLD: a trace or a profile")->required();
    cmd->add_option("new", opts->new_input, "NEW: a trace or a profile")->required();
    add_report_output_options(cmd, opts->output);
    add_accept_partial_option(cmd, opts->accept_partial);
    cmd->add_flag("--no-run-roots", opts->no_run_roots,
                  "Compare paths as recorded: do not replace each trace's working directory, path arguments, "
                  "$HOME and $TMPDIR with placeholders (<cwd>, <arg1>, <home>, <tmpdir>)");
    cmd->footer(R"(Lists what NEW does that OLD did not (new executables, files and file areas read or
written, network endpoints, DNS names, privileged operations) and what OLD did that NEW no
longer does, each with its event count and one example. Behaviour is normalised as
`glassbox learn` normalises it (pids, temporary names, versions: docs/learning.md), so two
runs of the same work diff to nothing; each trace's run roots (working directory, the
command's path arguments, $HOME, $TMPDIR) become named placeholders, so the same version
traced in two folders or on two machines diffs to nothing too (--no-run-roots turns this off).
A file change shows its operation and flags ("renameat2 RENAME_NOREPLACE", "linkat").
Ranked by risk: privileged and network first, then processes, writes, reads. A trace is compared with a profile through the profile's rules.

A partial trace (no summary line: the recording was killed, or the file was cut) is refused
with one line saying how it ended, unless --accept-partial; an edited trace (its hash chain
breaks) is refused. The report names each trace's digest (sha256).

Exit status: 0 NEW does nothing new, 1 NEW does something OLD did not, 2 an input could not
be read, or a trace is partial (without --accept-partial) or edited.

Examples:
  glassbox diff clamav-1.0.trace clamav-1.4.trace
  glassbox diff --format markdown old.trace new.trace > update-review.md
  glassbox diff profiles/clamscan.yaml new-version.trace
  glassbox diff approved.yaml proposed.yaml
  glassbox diff --accept-partial old.trace killed.trace.partial)");
    cmd->callback([opts] {
        analysis::diff_options dopts;
        dopts.run_roots = !opts->no_run_roots;
        auto rep = analysis::diff_inputs(opts->old_input, opts->new_input, dopts);
        if (!rep)
            throw fatal_error(exit_code::usage, rep.error().message);
        require_complete(rep->old_input.partial, opts->accept_partial);
        require_complete(rep->new_input.partial, opts->accept_partial);
        print_report(*rep, opts->output, rep->added.empty());
    });
}

} // namespace glassbox
