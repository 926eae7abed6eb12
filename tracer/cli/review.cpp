// glassbox review: one update review (the old version's runs, the new version's runs, the allowed
// profile, both packages) written as one dossier: a verdict first, every change ranked by risk with
// its evidence, the static and observed views joined. Exit 1 when there is something to review, so
// it gates CI as check and diff do. The work is in tracer/analysis/review*.cpp.
#include <glassbox/cli.hpp>
#include <glassbox/error.hpp>
#include <glassbox/log.hpp>
#include <glassbox/review.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <thread>

namespace glassbox {

namespace {

struct review_cli_options {
    std::vector<std::string> old_traces, new_traces;
    std::string profile, old_package, new_package, title, output;
    std::string format = "text";
    std::string color = "auto";
    bool no_run_roots = false;
    unsigned threads = 0;
};

} // namespace

void register_review(CLI::App& app) {
    auto o = std::make_shared<review_cli_options>();
    auto* cmd = app.add_subcommand("review", "Review an update: old runs, new runs, profile and packages in one dossier");
    cmd->add_option("--old", o->old_traces, "Traces of the OLD version (one or more runs)")->required()->expected(1, -1);
    cmd->add_option("--new", o->new_traces, "Traces of the NEW version (one or more runs)")->required()->expected(1, -1);
    cmd->add_option("-p,--profile", o->profile, "The allowed profile the new runs are checked against");
    cmd->add_option("--old-package", o->old_package, "OLD package: a folder, an ELF file or a .deb (static view)");
    cmd->add_option("--new-package", o->new_package, "NEW package: a folder, an ELF file or a .deb (static view)");
    cmd->add_option("-f,--format", o->format, "Dossier format: text, markdown, json or html")
        ->check(CLI::IsMember({"text", "markdown", "json", "html"}))
        ->capture_default_str();
    cmd->add_option("-o,--output", o->output, "Write the dossier to this file instead of standard output");
    cmd->add_option("--title", o->title, "Title of the dossier (default: the first trace names)");
    cmd->add_flag("--no-run-roots", o->no_run_roots,
                  "Compare paths as recorded: do not replace the working directory, path arguments, $HOME and "
                  "$TMPDIR with placeholders");
    cmd->add_option("-j,--threads", o->threads, "Traces read in parallel (default: the number of cores)");
    cmd->add_option("--color", o->color, "Colour the text dossier: auto, always, never")
        ->check(CLI::IsMember({"auto", "always", "never"}))
        ->capture_default_str();
    cmd->footer(R"(The verdict comes first: new behaviour or not, profile violations or not, new static
capabilities or not, and gaps in the traces (incomplete, events lost, families the header says
were not observed). Then every change, ranked by risk, with its evidence: trace file and line,
process chain, time in the run, the operation and its flags ("renameat2 RENAME_NOREPLACE"), and
how stable it is (in every new run or only some). With both packages, scan's static diff is
joined with the traces: a newly reachable syscall the new runs also make, a new behaviour whose
syscall the old binaries could not reach, and a newly reachable syscall never observed.
Behaviour is normalised as diff normalises it, and each run's roots (cwd, path arguments, $HOME,
$TMPDIR) become placeholders (<cwd>, <arg1>, <arg:--move>, <home>, <tmpdir>), so the same
version traced in two folders reviews as "no change". Formats: text, markdown, json (stable,
docs/review.md) and html (one self-contained file: verdict, process tree, timeline, change table
with filters and links to the evidence, violations, static diff).

Exit status: 0 nothing to review, 1 something to review (new behaviour, a violation, a new static
capability or a trace gap), 2 an input could not be read, 73 the output cannot be written.

Examples:
  glassbox review --old v1-a.trace v1-b.trace --new v2-a.trace v2-b.trace
  glassbox review --old old*.trace --new new*.trace --profile clamscan.yaml \
      --old-package clamav_1.4.3.deb --new-package clamav_1.4.6.deb -f html -o review.html
  glassbox review --old a.trace --new b.trace -f json | jq .verdict)");
    cmd->callback([o] {
        analysis::review_options ro;
        for (const auto& t : o->old_traces)
            ro.old_traces.emplace_back(t);
        for (const auto& t : o->new_traces)
            ro.new_traces.emplace_back(t);
        if (!o->profile.empty())
            ro.profile = o->profile;
        if (!o->old_package.empty())
            ro.old_package = o->old_package;
        if (!o->new_package.empty())
            ro.new_package = o->new_package;
        ro.run_roots = !o->no_run_roots;
        ro.title = o->title;
        ro.threads = o->threads ? o->threads : std::max(1u, std::thread::hardware_concurrency());
        auto rep = analysis::review(ro);
        if (!rep)
            throw fatal_error(exit_code::usage, rep.error().message);
        auto fmt_kind = o->format == "json"       ? analysis::review_format::json
                        : o->format == "markdown" ? analysis::review_format::markdown
                        : o->format == "html"     ? analysis::review_format::html
                                                  : analysis::review_format::text;
        bool to_stdout = o->output.empty() || o->output == "-";
        bool colour = fmt_kind == analysis::review_format::text && o->color != "never" &&
                      (o->color == "always" || (to_stdout && stdout_is_tty()));
        auto text = analysis::render_review(*rep, fmt_kind, colour);
        if (to_stdout) {
            std::fwrite(text.data(), 1, text.size(), stdout);
            std::fflush(stdout);
        } else {
            std::ofstream out(o->output, std::ios::binary | std::ios::trunc);
            if (!out || !out.write(text.data(), static_cast<std::streamsize>(text.size())) || !out.flush())
                throw fatal_error(exit_code::cant_create, fmt::format("cannot write {}", o->output));
            fmt::print(stderr, "glassbox review: {} -> {}\n", rep->verdict_line(), o->output);
        }
        set_command_exit(rep->exit_status());
    });
}

} // namespace glassbox
