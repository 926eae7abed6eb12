// glassbox learn: turns one or more traces into a reviewable allowed profile (YAML), generalising
// what varies from run to run (docs/learning.md). Writes to stdout or -o FILE.
#include "cli/partial_trace.hpp"

#include <glassbox/analysis.hpp>
#include <glassbox/cli.hpp>
#include <glassbox/error.hpp>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

namespace glassbox {

namespace {

struct learn_options {
    std::vector<std::string> traces;
    std::string output;
    std::string name;
    std::size_t collapse = 16;
    bool accept_partial = false;
};

} // namespace

void register_learn(CLI::App& app) {
    auto opts = std::make_shared<learn_options>();
    auto* cmd = app.add_subcommand("learn", "Build a reviewable allowed profile from one or more traces");
    cmd->add_option("traces", opts->traces, "Trace files of the same program (several runs: what differs is volatile)")
        ->required();
    cmd->add_option("-o,--output", opts->output, "Write the profile here (default: stdout)");
    cmd->add_option("--name", opts->name, "metadata.name of the profile (default: the traced command's name)");
    cmd->add_option("--collapse", opts->collapse,
                    "Collapse a directory with at least N distinct files of one access kind into dir/* or "
                    "dir/** (0: never)")
        ->capture_default_str();
    add_accept_partial_option(cmd, opts->accept_partial);
    cmd->footer(R"(The profile allows everything the traces did and nothing else, generalised so it survives
the next run: temporary names, pids and /proc/<pid>, hex/uuid/hash segments, long numbers,
version numbers, user homes, and large directories (a scanned folder becomes dir/**). With
several traces of the same program, components that differ between them become wildcards.
Output is sorted and deterministic; each rule carries a comment with its event count and an
example, for review; its header comment names each trace's digest (sha256). A partial trace
(the recording was killed, or the file was cut) is refused unless --accept-partial; an edited
trace (its hash chain breaks) is refused. See docs/learning.md and docs/profile-format.md.

Examples:
  glassbox learn scan.trace -o clamscan.yaml
  glassbox learn run1.trace run2.trace run3.trace --name freshclam -o freshclam.yaml
  glassbox learn --collapse 0 scan.trace        # never collapse directories
  glassbox learn --accept-partial killed.trace.partial -o partial.yaml)");
    cmd->callback([opts] {
        std::vector<std::filesystem::path> paths(opts->traces.begin(), opts->traces.end());
        analysis::learn_options lo;
        lo.name = opts->name;
        lo.collapse_threshold = opts->collapse;
        auto r = analysis::learn_profile(paths, lo);
        if (!r)
            throw fatal_error(exit_code::usage, r.error().message);
        for (const auto& i : r->inputs)
            require_complete(i.partial, opts->accept_partial);
        for (const auto& w : r->warnings)
            if (w.find("incomplete") == std::string::npos && w.find("lost") == std::string::npos)
                spdlog::warn("{}", w); // the reader already warned about those
        if (opts->output.empty() || opts->output == "-") {
            std::fwrite(r->yaml.data(), 1, r->yaml.size(), stdout);
            std::fflush(stdout);
        } else {
            // Write beside the target and rename: a reader never sees half a profile.
            std::filesystem::path out(opts->output);
            std::filesystem::path tmp = out;
            tmp += ".partial";
            {
                std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
                if (!f)
                    throw fatal_error(exit_code::cant_create,
                                      "cannot write " + tmp.string() + ": " + std::strerror(errno));
                f << r->yaml;
                f.flush();
                if (!f)
                    throw fatal_error(exit_code::cant_create, "cannot write " + tmp.string());
            }
            std::error_code ec;
            std::filesystem::rename(tmp, out, ec);
            if (ec)
                throw fatal_error(exit_code::cant_create, "cannot create " + out.string() + ": " + ec.message());
            spdlog::info("wrote {} rules to {}", r->rules, out.string());
        }
        set_command_exit(0);
    });
}

} // namespace glassbox
