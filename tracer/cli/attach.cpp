// glassbox attach: placeholder registration until the subsystem lands (owned by its issue).
#include <glassbox/cli.hpp>
#include <glassbox/error.hpp>

#include <CLI/CLI.hpp>

namespace glassbox {

void register_attach(CLI::App& app) {
    auto* cmd = app.add_subcommand("attach", "(not yet available)");
    cmd->allow_extras();
    cmd->callback([] { throw fatal_error(exit_code::internal, "'attach' is not implemented yet"); });
}

} // namespace glassbox
