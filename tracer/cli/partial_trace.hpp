// --accept-partial, shared by the commands that read traces (check, diff, learn, scan --against):
// a partial trace (no summary: glassbox was killed, the file was cut) is refused with one line
// saying how it ended and how much of it its hash chain verifies, unless the user accepts it.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace glassbox {

// Adds --accept-partial to `cmd`, bound to `accept` (which must outlive the parse).
void add_accept_partial_option(CLI::App* cmd, bool& accept);

// `partial`: trace::reader::partial_reason() of an input (empty: complete). Refused (fatal_error,
// exit 2) unless `accept`; accepted, it is still said on stderr, once.
void require_complete(const std::string& partial, bool accept);

} // namespace glassbox
