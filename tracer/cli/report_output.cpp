// Shared report options and output of `glassbox check` and `glassbox diff` (report_output.hpp).
#include "cli/report_output.hpp"

#include <glassbox/cli.hpp>
#include <glassbox/log.hpp>

#include <cstdio>

namespace glassbox {

void add_report_output_options(CLI::App* cmd, report_output_options& o) {
    cmd->add_option("-f,--format", o.format, "Report format: text, json or markdown")
        ->check(CLI::IsMember({"text", "json", "markdown"}))
        ->capture_default_str();
    cmd->add_option("--color", o.color, "Colour the text report: auto (when stdout is a terminal), always, never")
        ->check(CLI::IsMember({"auto", "always", "never"}))
        ->capture_default_str();
}

analysis::report_format report_format_of(const report_output_options& o) {
    if (o.format == "json")
        return analysis::report_format::json;
    if (o.format == "markdown")
        return analysis::report_format::markdown;
    return analysis::report_format::text;
}

bool report_colour_of(const report_output_options& o) {
    if (report_format_of(o) != analysis::report_format::text || o.color == "never")
        return false;
    return o.color == "always" || stdout_is_tty();
}

void write_report(const std::string& text) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
}

} // namespace glassbox
