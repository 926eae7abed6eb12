// glassbox diff: placeholder registration until the subsystem lands (owned by its issue).
#include <glassbox/cli.hpp>
#include <glassbox/error.hpp>

#include <CLI/CLI.hpp>

namespace glassbox {

void register_diff(CLI::App& app) {
    auto* cmd = app.add_subcommand("diff", "(not yet available)");
    cmd->allow_extras();
    cmd->callback([] { throw fatal_error(exit_code::internal, "'diff' is not implemented yet"); });
}

} // namespace glassbox
