// One registration function per subcommand; each lives in tracer/cli/<command>.cpp.
// A subcommand's callback returns through glassbox::command_result (see below) rather than
// calling exit(), so main owns the process exit code.
#pragma once

namespace CLI {
class App;
}

namespace glassbox {

// Set by a subcommand's callback; main returns it. Default 0.
void set_command_exit(int code);
int command_exit();

void register_run(CLI::App& app);
void register_attach(CLI::App& app);
void register_learn(CLI::App& app);
void register_check(CLI::App& app);
void register_diff(CLI::App& app);
void register_enforce(CLI::App& app);
void register_scan(CLI::App& app);
void register_verify(CLI::App& app);
void register_doctor(CLI::App& app);
void register_review(CLI::App& app);

} // namespace glassbox
