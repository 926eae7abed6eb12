// glassbox entry point: builds the CLI from the per-subcommand registrations, configures logging,
// runs the chosen subcommand and turns errors into one clear line and a documented exit code.
#include <glassbox/cli.hpp>
#include <glassbox/error.hpp>
#include <glassbox/log.hpp>

#include <CLI/CLI.hpp>
#include <fmt/color.h>
#include <fmt/core.h>

#include <cstdio>
#include <exception>
#include <string>

namespace {

constexpr const char* kFooter = R"(Exit status:
  run / attach / enforce exit with the traced command's own status (128+N if killed by signal N).
  glassbox's own failures:
    1   check / diff / scan --diff / review: violations or new behaviour found; doctor: this kernel is degraded;
        verify: the trace is NOT intact (a line was changed, or the signature fails)
    2   usage error, or an analysis command could not read its input (a partial
        trace without --accept-partial, a trace whose hash chain breaks)
    3   the kernel dropped events (lost > 0) and --allow-loss was not given
    4   verify: the trace is partial (verified up to its last checkpoint only)
    5   verify: the trace has no hash chain, it cannot be verified
    69  the kernel lacks a needed feature: BTF (/sys/kernel/btf/vmlinux), a cgroup v2
        hierarchy, or BPF (the verifier refused glassbox's programs), or complete coverage
        was required and is not there; 'glassbox doctor' says which
    70  internal error
    73  the output file cannot be written
    77  not enough privilege: run as root (CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN are all needed)
    126 the command is not executable;  127 the command was not found

Run 'glassbox <command> --help' for each command's options and examples.)";

void print_error(const std::string& message) {
    if (glassbox::stderr_is_tty())
        fmt::print(stderr, fmt::emphasis::bold | fg(fmt::terminal_color::red), "glassbox: ");
    else
        fmt::print(stderr, "glassbox: ");
    fmt::print(stderr, "{}\n", message);
}

// CLI11 reports an unknown command as "A subcommand is required"; name it instead.
void check_command_name(const CLI::App& app, int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--log-level") {
            ++i;
            continue;
        }
        if (arg.starts_with("-"))
            continue;
        for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; }))
            if (sub->get_name() == arg)
                return;
        std::string names;
        for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; }))
            names += (names.empty() ? "" : ", ") + sub->get_name();
        throw glassbox::fatal_error(glassbox::exit_code::usage,
                                    "unknown command '" + arg + "' (commands: " + names + ")");
    }
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"glassbox: record, compare, profile, enforce and scan what a privileged program "
                 "(an antivirus engine, an EDR agent, an updater) does on a lab machine.",
                 "glassbox"};
    app.footer(kFooter);
    app.set_version_flag("--version", std::string("glassbox ") + glassbox::version());
    app.require_subcommand(1);
    app.fallthrough();

    std::string log_level = "warn";
    app.add_option("--log-level", log_level, "Diagnostics on stderr: trace, debug, info, warn, error, off")
        ->capture_default_str();
    app.add_flag_callback("-v,--verbose", [&] { log_level = "debug"; }, "Same as --log-level debug");
    app.parse_complete_callback([&] { glassbox::setup_logging(log_level); });

    glassbox::register_run(app);
    glassbox::register_attach(app);
    glassbox::register_enforce(app);
    glassbox::register_learn(app);
    glassbox::register_check(app);
    glassbox::register_diff(app);
    glassbox::register_scan(app);
    glassbox::register_verify(app);
    glassbox::register_doctor(app);
    glassbox::register_review(app);

    try {
        check_command_name(app, argc, argv);
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        print_error(e.what());
        fmt::print(stderr, "Run 'glassbox --help' (or 'glassbox COMMAND --help') for usage.\n");
        return glassbox::to_int(glassbox::exit_code::usage);
    } catch (const glassbox::fatal_error& e) {
        print_error(e.what());
        return glassbox::to_int(e.code());
    } catch (const std::exception& e) {
        print_error(std::string("internal error: ") + e.what());
        return glassbox::to_int(glassbox::exit_code::internal);
    }
    return glassbox::command_exit();
}
