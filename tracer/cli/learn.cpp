// glassbox learn: placeholder registration until the subsystem lands (owned by its issue).
#include <glassbox/cli.hpp>
#include <glassbox/error.hpp>

#include <CLI/CLI.hpp>

namespace glassbox {

void register_learn(CLI::App& app) {
    auto* cmd = app.add_subcommand("learn", "(not yet available)");
    cmd->allow_extras();
    cmd->callback([] { throw fatal_error(exit_code::internal, "'learn' is not implemented yet"); });
}

} // namespace glassbox
