// The report options and output shared by `glassbox check` and `glassbox diff`: both print one
// analysis report as text (coloured on a terminal), JSON or Markdown and exit 0 when it lists
// nothing, 1 when it lists something (so either can gate CI). One place keeps the two alike.
#pragma once

#include <glassbox/analysis.hpp>
#include <glassbox/cli.hpp>
#include <glassbox/error.hpp>

#include <CLI/CLI.hpp>

#include <string>

namespace glassbox {

struct report_output_options {
    std::string format = "text";
    std::string color = "auto";
};

// Adds -f/--format and --color to `cmd`, bound to `o` (which must outlive the parse).
void add_report_output_options(CLI::App* cmd, report_output_options& o);

// The pieces print_report is made of.
analysis::report_format report_format_of(const report_output_options& o);
bool report_colour_of(const report_output_options& o);
void write_report(const std::string& text);

// Prints the report as `o` asks and sets the command's exit status: 0 when `clean`, 1 otherwise.
template <class Report>
void print_report(const Report& rep, const report_output_options& o, bool clean) {
    write_report(analysis::render(rep, report_format_of(o), report_colour_of(o)));
    set_command_exit(clean ? to_int(exit_code::ok) : to_int(exit_code::violations));
}

} // namespace glassbox
