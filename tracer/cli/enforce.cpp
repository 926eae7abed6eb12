// glassbox enforce: runs a command under its allowed profile in a lab sandbox (Landlock, seccomp
// filter + user-notification supervisor, cgroup BPF, optional namespaces) and writes a trace with
// a `violation` event for each decision. The mechanisms live in tracer/enforce/; this file parses
// the command line, states what will and will not be enforced, and reports the outcome.
#include <glassbox/cli.hpp>
#include <glassbox/error.hpp>
#include <glassbox/log.hpp>
#include <glassbox/mountinfo.hpp>
#include <glassbox/profile.hpp>

#include "enforce/cleanup.hpp"
#include "enforce/policy.hpp"
#include "enforce/sandbox.hpp"
#include "enforce/violation_log.hpp"

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <sys/wait.h>
#include <unistd.h>

#include <memory>

namespace glassbox {

namespace {

struct enforce_args {
    std::string profile;
    std::string mode = "enforce";
    std::string out;
    std::string sign_key;
    std::string isolate;
    std::string protect = "pidns";
    std::string supervise = "auto";
    bool require_all = false;
    bool quiet = false;
    bool cleanup = false;
    bool dry_run = false;
    std::vector<std::string> command;
};

constexpr const char* kFooter = R"(Modes:
  enforce   forbidden actions fail (EACCES/EPERM) and the command goes on
  complain  everything is allowed; every action outside the profile is recorded
  kill      the whole command tree is killed at the first violation

Examples:
  glassbox enforce --profile clamscan.yaml --mode complain --out complain.jsonl -- clamscan -r /srv/samples
  glassbox enforce --profile clamscan.yaml --out enforce.jsonl -- clamscan -r /srv/samples
  glassbox enforce --profile agent.yaml --mode kill --isolate pid,mount,net -- /opt/agent/bin/agentd
  glassbox check --profile clamscan.yaml complain.jsonl     # review what complain mode saw
  glassbox enforce --cleanup --dry-run    # list sandboxes whose glassbox was killed
  glassbox enforce --cleanup              # kill what is left in them and remove them

The trace has the format of `glassbox run` (docs/trace-format.md) with one `violation` event per
decision; `check` and `diff` read it. See docs/enforce.md for the mechanisms and their limits.)";

// --cleanup: a killed glassbox leaves its sandbox cgroup (and the programs on it) in place so the
// agent stays fenced in; this lists and removes those whose glassbox is gone. Output, not logging.
void run_cleanup(const enforce_args& a) {
    if (geteuid() != 0)
        throw fatal_error(exit_code::no_permission, "enforce --cleanup needs root (it removes cgroups)");
    if (!a.command.empty() || !a.profile.empty())
        throw fatal_error(exit_code::usage, "--cleanup takes no --profile and no command");
    // Only a mounted hierarchy can hold stale cgroups: do not mount one to look.
    auto mount = find_cgroup2_mount(read_mountinfo());
    if (!mount)
        throw fatal_error(exit_code::environment, "no cgroup v2 mount: there is nothing to clean up");
    const std::string& root = mount->mount_point;
    auto found = enforce::cleanup_stale_cgroups(root, a.dry_run);
    bool failed = false;
    for (const auto& c : found) {
        if (a.dry_run)
            fmt::print("stale {} (glassbox pid {} is gone, {} process(es) left)\n", c.path, c.owner, c.processes);
        else if (c.removed)
            fmt::print("removed {} (glassbox pid {} was gone, {} process(es) killed)\n", c.path, c.owner,
                       c.processes);
        else {
            fmt::print("NOT removed {}: {}\n", c.path, c.error.empty() ? "still busy" : c.error);
            failed = true;
        }
    }
    if (found.empty())
        fmt::print("no stale glassbox cgroups under {}\n", root);
    set_command_exit(failed ? 1 : 0);
}

void run_enforce(const enforce_args& a) {
    if (a.cleanup)
        return run_cleanup(a);
    if (a.dry_run)
        throw fatal_error(exit_code::usage, "--dry-run goes with --cleanup");
    if (a.profile.empty())
        throw fatal_error(exit_code::usage, "--profile is required (or --cleanup)");
    if (a.command.empty())
        throw fatal_error(exit_code::usage, "no command given: glassbox enforce --profile P -- CMD [ARGS...]");
    if (geteuid() != 0)
        throw fatal_error(exit_code::no_permission, "enforce needs root (Landlock, seccomp supervisor, cgroup BPF, namespaces)");
    enforce::mode m = a.mode == "complain" ? enforce::mode::complain
                      : a.mode == "kill"   ? enforce::mode::kill
                                           : enforce::mode::enforce;
    auto loaded = profile::load_profile(a.profile);
    if (!loaded)
        throw fatal_error(exit_code::usage, loaded.error().message());
    auto prof = std::make_shared<const profile::profile>(std::move(*loaded));
    std::vector<std::string> notes;
    enforce::sandbox_options so;
    so.pol = enforce::policy_from_profile(prof, notes);
    so.run_mode = m;
    so.argv = a.command;
    so.require_all = a.require_all;
    so.protect = *record::parse_protect_mode(a.protect);
    if (auto p = record::protection::prepare(so.protect); !p) // says why this kernel cannot
        throw fatal_error(exit_code::environment, p.error().message);
    if (!a.isolate.empty()) {
        auto iso = enforce::parse_isolation(a.isolate);
        if (!iso)
            throw fatal_error(exit_code::usage, iso.error().message);
        so.isolate = *iso;
    }
    if (a.supervise == "always")
        so.supervise_opens = true;
    else if (a.supervise == "never")
        so.supervise_opens = false;

    // With --out the recorder writes the full trace (every event + violations); without it the
    // sandbox runs on its own and violations are only reported here.
    auto log = std::make_shared<enforce::violation_log>();
    bool quiet = a.quiet;
    so.sink = [log, quiet](const enforce::violation& v) {
        log->add(v);
        if (!quiet)
            fmt::print(stderr, "glassbox: violation [{}] {} -> {} ({})\n", v.section, v.what, v.action, v.mechanism);
    };
    so.recorded = !a.out.empty();
    so.trace.sign_key = a.sign_key;
    if (!a.sign_key.empty() && a.out.empty())
        throw fatal_error(exit_code::usage, "--sign-key signs the trace: it needs --out FILE");

    enforce::sandbox sb(std::move(so));
    const auto& rep = sb.prepare();
    for (const auto& n : notes)
        spdlog::warn("profile: {}", n);
    if (!a.quiet) {
        fmt::print(stderr, "glassbox: enforce mode {} with {}\n", a.mode, a.profile);
        for (const auto& e : rep.enforced)
            fmt::print(stderr, "glassbox:   enforced: {}\n", e);
        for (const auto& e : rep.missing)
            fmt::print(stderr, "glassbox:   NOT enforced: {}\n", e);
        for (const auto& e : rep.notes)
            fmt::print(stderr, "glassbox:   note: {}\n", e);
    }
    enforce::sandbox_result res;
    if (a.out.empty()) {
        res = sb.run();
    } else {
        nlohmann::json pj{{"path", a.profile}, {"mode", a.mode}};
        // The mechanism report in the trace too: what this kernel enforced is part of the evidence.
        nlohmann::json ej{{"landlock_abi", rep.landlock_abi},
                          {"enforced", rep.enforced},
                          {"missing", rep.missing},
                          {"notes", rep.notes}};
        res = sb.run_recorded(a.out, {{"profile", pj.dump()}, {"enforcement", ej.dump()}});
    }
    if (!a.quiet)
        fmt::print(stderr, "glassbox: {} violation(s), {} denied{}\n", log->count(), log->denied(),
                   a.out.empty() ? "" : fmt::format("; trace written to {}", a.out));
    if (res.trace_lost > 0)
        fmt::print(stderr, "glassbox: WARNING: the recorder lost {} events: the trace is not complete evidence\n",
                   res.trace_lost);
    set_command_exit(res.command_status);
}

} // namespace

void register_enforce(CLI::App& app) {
    auto args = std::make_shared<enforce_args>();
    auto* cmd = app.add_subcommand("enforce", "Run a command under its allowed profile in a lab sandbox");
    cmd->footer(kFooter);
    cmd->add_option("--profile", args->profile, "The allowed profile (docs/profile-format.md)");
    cmd->add_option("--mode", args->mode, "enforce, complain or kill")
        ->check(CLI::IsMember({"enforce", "complain", "kill"}))
        ->capture_default_str();
    cmd->add_option("-o,--out", args->out, "Write the trace (with violation events) to this file");
    cmd->add_option("--sign-key", args->sign_key,
                    "Ed25519 private key (PEM): sign the trace's final digest (with --out; glassbox verify --pubkey)")
        ->check(CLI::ExistingFile);
    cmd->add_option("--isolate", args->isolate, "Namespaces to give the command: pid,mount,net (comma list)");
    cmd->add_option("--protect", args->protect,
                    "How the command is kept from stopping glassbox: pidns (its own pid namespace), landlock "
                    "(Linux 6.12+: signals and ptrace out of the tree refused) or none; see `glassbox run --help`")
        ->check(CLI::IsMember({"pidns", "landlock", "none"}))
        ->capture_default_str();
    cmd->add_option("--supervise-opens", args->supervise,
                    "auto: the supervisor emulates opens only when Landlock cannot be exact; always; never")
        ->check(CLI::IsMember({"auto", "always", "never"}))
        ->capture_default_str();
    cmd->add_flag("--require-all", args->require_all, "Refuse to run if any mechanism is unavailable");
    cmd->add_flag("-q,--quiet", args->quiet, "Do not print the mechanism report and violations on stderr");
    cmd->add_flag("--cleanup", args->cleanup,
                  "Kill and remove the sandbox cgroups left by a glassbox that was killed (no command)");
    cmd->add_flag("--dry-run", args->dry_run, "With --cleanup: only list what would be removed");
    cmd->add_option("command", args->command, "CMD [ARGS...] after --");
    cmd->callback([args] { run_enforce(*args); });
}

} // namespace glassbox
