// Logging setup: spdlog on stderr, configured once from -v / --log-level in main.
// Reports and traces are output, not logging: they never go through here.
#pragma once

#include <string>

namespace glassbox {

// level: trace, debug, info, warn, error, critical, off. Throws fatal_error on an unknown name.
void setup_logging(const std::string& level);

// true when stderr is a terminal and NO_COLOR is unset: colour and progress lines are allowed.
bool stderr_is_tty();
bool stdout_is_tty();

const char* version();

} // namespace glassbox
