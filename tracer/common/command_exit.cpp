// The exit status a subcommand asks main to return (see include/glassbox/cli.hpp).
#include <glassbox/cli.hpp>

namespace glassbox {

namespace {
int g_exit = 0; // the one process-wide value main returns; written once by the subcommand
}

void set_command_exit(int code) { g_exit = code; }
int command_exit() { return g_exit; }

} // namespace glassbox
