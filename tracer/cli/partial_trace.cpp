// --accept-partial and the refusal of partial traces (see partial_trace.hpp).
#include "cli/partial_trace.hpp"

#include <glassbox/error.hpp>

#include <fmt/core.h>

namespace glassbox {

void add_accept_partial_option(CLI::App* cmd, bool& accept) {
    cmd->add_flag("--accept-partial", accept,
                  "Analyse a partial trace (no summary line: the recording was killed or the file cut) "
                  "instead of refusing it");
}

void require_complete(const std::string& partial, bool accept) {
    if (partial.empty())
        return;
    if (!accept)
        throw fatal_error(exit_code::usage, partial + "; pass --accept-partial to analyse what it has");
    fmt::print(stderr, "glassbox: warning: {}; analysed as it is (--accept-partial)\n", partial);
}

} // namespace glassbox
