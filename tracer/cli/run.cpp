// glassbox run: launches a command in a fresh cgroup and records everything it and its
// descendants do into a trace (docs/trace-format.md). Thin layer over record::run_session.
#include <glassbox/cli.hpp>
#include <glassbox/error.hpp>
#include <glassbox/record.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>

namespace glassbox {

namespace {

struct run_args {
    std::string out = "glassbox-trace.jsonl";
    bool follow = false;
    double timeout = 0;
    bool allow_loss = false;
    unsigned ringbuf_mb = record::recorder_options::default_ringbuf_mb;
    unsigned spool_mb = record::recorder_options::default_spool_mb;
    bool quiet = false;
    std::string sign_key;
    bool require_complete = false;
    std::string protect = "pidns";
    std::vector<std::string> command;
};

constexpr const char* run_footer = R"(
The command runs in a new cgroup v2 directory (removed afterwards) and every descendant is traced,
including ones that double-fork, setsid, daemonize, run as threads or move themselves out of the
cgroup. Recording ends when the command and all its descendants are gone, at --timeout (the tree is
then killed), or on Ctrl-C/SIGTERM; every ending writes a complete trace (FILE.partial until done).
Lines reach the file at most ~0.1 s after they are formatted, with checkpoints of the trace's
hash chain: if glassbox is killed, FILE.partial keeps what was recorded until then, its
watchdog (which holds the recording's BPF programs and ring buffer) appends what the kernel
still held, and 'glassbox verify' checks any trace for edits (docs/trace-format.md).

Protection (--protect; docs/recording.md, "Protection"): the traced program may be hostile and
root, so it must not be able to kill, stop or blind glassbox.
  pidns     (default) the command runs in its own pid and mount namespaces with its own /proc:
            it cannot name glassbox or any other process of the machine (kill, ptrace, pidfd,
            prlimit fail with ESRCH, recorded with the pid it tried); if glassbox dies anyway the
            kernel kills the whole namespace. The command sees pids from 2 up and only its tree.
  landlock  (Linux 6.12+) keeps the machine's pids and /proc; a Landlock domain refuses signals
            and ptrace to any process outside the tree (EPERM, recorded with the target): the
            command cannot signal other processes of the machine either. If glassbox dies
            anyway, the tree stops at its next syscall and the watchdog kills it. Weaker: two
            processes acting together, each moving one of glassbox and its watchdog into a
            frozen cgroup at once, stall the recording (one such move is undone in ~20 ms).
  none      no protection, only the watchdog (as for landlock); the trace header says so.
pidns and landlock also load the LSM guard where the kernel runs the BPF LSM (Debian's 6.1 and
6.12 do; `glassbox doctor` says): the tree's signals, ptrace, /proc/PID/mem, limits and priority
changes on glassbox's own processes fail with EPERM and are recorded. A process that moves
glassbox into another cgroup is killed on the spot (any kernel). Every mode but none refuses the
tree bpf()'s *_GET_FD_BY_ID (EPERM) and every mode hardens glassbox (OOM score -1000, cgroup v2
root). The trace header's `protection` lists what held and what did not.

Exit status: the command's own (128+N if killed by signal N), or glassbox's codes:
  3 events were lost (without --allow-loss), 69 kernel feature missing (BTF, cgroup v2, BPF:
  'glassbox doctor' says which), 73 output not writable, 77 not root (CAP_BPF, CAP_PERFMON and
  CAP_SYS_ADMIN are needed), 126 command not executable, 127 command not found.

Examples:
  glassbox run -- ls /tmp
  glassbox run --out clamscan.jsonl -- clamscan -r /srv/samples
  glassbox run --follow --timeout 30 -- /opt/agent/bin/agentd --foreground
  glassbox run --ringbuf-mb 256 --out scan.jsonl -- find /usr -name '*.so'
  glassbox run --sign-key lab.pem --out scan.jsonl -- clamscan -r /srv   # then: glassbox verify
)";

} // namespace

void register_run(CLI::App& app) {
    auto args = std::make_shared<run_args>();
    auto* cmd = app.add_subcommand("run", "Launch a command and record everything it does (eBPF)");
    cmd->footer(run_footer);
    cmd->add_option("-o,--out", args->out, "Trace file to write (JSON Lines)")->capture_default_str();
    cmd->add_flag("-f,--follow", args->follow, "Show a live view of the events on stderr");
    cmd->add_option("-t,--timeout", args->timeout, "Stop after S seconds (kills the traced tree)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_flag("--allow-loss", args->allow_loss, "Exit with the command's status even if events were lost");
    cmd->add_option("--ringbuf-mb", args->ringbuf_mb, "Ring buffer size in MiB (power of two)")
        ->capture_default_str()
        ->check(CLI::Range(1u, 4096u));
    cmd->add_option("--spool-mb", args->spool_mb,
                    "Memory in MiB for records waiting to be written as JSON; more goes to a temporary file")
        ->capture_default_str()
        ->check(CLI::Range(1u, 1u << 20));
    cmd->add_flag("-q,--quiet", args->quiet, "No progress line and no summary on stderr");
    cmd->add_option("--sign-key", args->sign_key,
                    "Ed25519 private key (PEM): sign the trace's final digest (glassbox verify --pubkey)")
        ->check(CLI::ExistingFile);
    cmd->add_flag("--require-complete-coverage", args->require_complete,
                  "Refuse to record (exit 69) when this kernel cannot observe every event family "
                  "(the trace header's `coverage`; `glassbox doctor` lists them)");
    cmd->add_option("--protect", args->protect,
                    "How the traced tree is kept from stopping the recording: pidns, landlock or none (see below)")
        ->capture_default_str()
        ->check(CLI::IsMember({"pidns", "landlock", "none"}));
    cmd->add_option("command", args->command, "The command to run, after --")->required();
    cmd->callback([args] {
        record::session_options o;
        o.out = args->out;
        o.trace.sign_key = args->sign_key;
        o.follow = args->follow;
        o.protect = *record::parse_protect_mode(args->protect);
        o.progress = !args->quiet;
        if (args->timeout > 0)
            o.timeout = std::chrono::milliseconds(static_cast<long long>(args->timeout * 1000));
        std::size_t rb = static_cast<std::size_t>(args->ringbuf_mb) << 20;
        if ((rb & (rb - 1)) != 0)
            throw fatal_error(exit_code::usage, "--ringbuf-mb must be a power of two (1, 2, 4, ... 4096)");
        o.recorder_opts.ringbuf_bytes = rb;
        o.recorder_opts.require_complete = args->require_complete;
        o.recorder_opts.spool_memory_bytes = static_cast<std::size_t>(args->spool_mb) << 20;
        auto res = record::run_session(args->command, o);
        if (!args->quiet)
            fmt::print(stderr, "glassbox: {} events written to {} ({}, lost {})\n", res.events, res.trace_path,
                       res.exit_code ? fmt::format("exit {}", *res.exit_code)
                                     : res.exit_signal ? fmt::format("killed by signal {}", *res.exit_signal)
                                                       : res.ended_by,
                       res.lost.total);
        if (res.lost.total > 0 && !args->allow_loss)
            set_command_exit(to_int(exit_code::events_lost));
        else
            set_command_exit(res.command_status());
    });
}

} // namespace glassbox
