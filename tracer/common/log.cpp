// Logging setup for every subcommand (see include/glassbox/log.hpp).
#include <glassbox/error.hpp>
#include <glassbox/log.hpp>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <unistd.h>

namespace glassbox {

void setup_logging(const std::string& level) {
    auto lvl = spdlog::level::from_str(level);
    if (lvl == spdlog::level::off && level != "off")
        throw fatal_error(exit_code::usage, "unknown log level '" + level +
                                                "' (use trace, debug, info, warn, error, off)");
    auto logger = spdlog::stderr_color_mt("glassbox");
    logger->set_pattern("glassbox: %^%l%$: %v");
    logger->set_level(lvl);
    spdlog::set_default_logger(logger);
}

static bool colour_allowed() { return std::getenv("NO_COLOR") == nullptr; }

bool stderr_is_tty() { return isatty(STDERR_FILENO) && colour_allowed(); }
bool stdout_is_tty() { return isatty(STDOUT_FILENO) && colour_allowed(); }

const char* version() { return GLASSBOX_VERSION; }

} // namespace glassbox
