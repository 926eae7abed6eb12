// glassbox attach: records processes that are already running (a daemon started by the init
// system) and everything they spawn from then on, or everything in a cgroup. Thin layer over
// record::attach_session.
#include <glassbox/cli.hpp>
#include <glassbox/error.hpp>
#include <glassbox/record.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>

namespace glassbox {

namespace {

struct attach_args {
    std::vector<int> pids;
    std::string cgroup;
    double duration = 0;
    std::string out;
    bool follow = false;
    bool allow_loss = false;
    unsigned ringbuf_mb = record::recorder_options::default_ringbuf_mb;
    unsigned spool_mb = record::recorder_options::default_spool_mb;
    bool quiet = false;
    std::string sign_key;
    bool require_complete = false;
    bool fail_closed = false;
    std::string protect = "guard";
};

constexpr const char* attach_footer = R"(
Traces the given processes and all their future descendants (wherever they move), or everything
running under a cgroup v2 directory. Recording ends after --duration, on Ctrl-C/SIGTERM, or (with
--pid) when every traced process is gone. Already-running children of a --pid target are not
traced unless listed too; the trace header records the target.

glassbox did not start the traced processes, so it cannot fence them off as `run` does (no pid
namespace or Landlock domain can be put around a running process). Protection (--protect;
docs/recording.md, "Protection"):
  guard  (default) where the kernel runs the BPF LSM ("bpf" in lsm=, as Debian's 6.1 and 6.12
         kernels do), glassbox's LSM guard refuses the traced tree's signals, ptrace,
         /proc/PID/mem, resource limits and priority changes on glassbox's own processes, and
         bpf() access to its programs and maps by id: each attempt fails with EPERM and is
         recorded. Nothing else the target does changes. Where the kernel has no BPF LSM, this
         is said on stderr and in the trace header, and a root target can kill glassbox; a
         traced process that sends glassbox a stop signal, or ptraces it, is killed when
         that call returns (the call itself runs, and is recorded).
         On every kernel, a traced process that moves glassbox into another cgroup (to freeze
         it there) is killed on the spot and the move recorded; glassbox moves back (its
         watchdog moves it back within ~20 ms if that cgroup was frozen). Still open: two
         processes, each moving one of glassbox and its watchdog into a frozen cgroup at once.
  none   no guard and no tripwire (to watch a target's unprotected behaviour).
A watchdog outside the traced tree holds the recording's BPF programs and ring buffer: if
glassbox is killed or crashes, it appends what the kernel still holds (the attempt that ended
glassbox among it) to FILE.partial, under a "watchdog" line. With --fail-closed it also stops
every traced process at its next syscall and kills them all (and their children). Use it in a
lab, where stopping the agent is better than watching it go on unrecorded.

Exit status: 0, or 3 events were lost (without --allow-loss), 2 bad pid/cgroup, 69, 73, 77
(see 'glassbox --help').

Examples:
  glassbox attach --pid $(pidof clamd) --duration 60 --out clamd.jsonl
  glassbox attach --cgroup /sys/fs/cgroup/unified/system.slice/clamav-daemon.service --out d.jsonl
  glassbox attach --pid 1234 --pid 1240 --follow --out agent.jsonl
  glassbox attach --pid $(pidof agentd) --fail-closed --out agentd.jsonl   # lab: no unrecorded run-on
)";

} // namespace

void register_attach(CLI::App& app) {
    auto args = std::make_shared<attach_args>();
    auto* cmd = app.add_subcommand("attach", "Record running processes (by pid or cgroup) and what they spawn");
    cmd->footer(attach_footer);
    auto* pid_opt = cmd->add_option("-p,--pid", args->pids, "Process id to trace (repeatable)");
    auto* cg_opt = cmd->add_option("-c,--cgroup", args->cgroup, "cgroup v2 directory to trace");
    pid_opt->excludes(cg_opt);
    cmd->add_option("-d,--duration", args->duration, "Stop after S seconds")->check(CLI::NonNegativeNumber);
    cmd->add_option("-o,--out", args->out, "Trace file to write (JSON Lines)")->required();
    cmd->add_flag("-f,--follow", args->follow, "Show a live view of the events on stderr");
    cmd->add_flag("--allow-loss", args->allow_loss, "Exit 0 even if events were lost");
    cmd->add_option("--ringbuf-mb", args->ringbuf_mb, "Ring buffer size in MiB (power of two)")
        ->capture_default_str()
        ->check(CLI::Range(1u, 4096u));
    cmd->add_option("--spool-mb", args->spool_mb,
                    "Memory in MiB for records waiting to be written as JSON; more goes to a temporary file")
        ->capture_default_str()
        ->check(CLI::Range(1u, 1u << 20));
    cmd->add_flag("-q,--quiet", args->quiet, "No progress line and no summary on stderr");
    cmd->add_option("--protect", args->protect,
                    "guard: refuse the target's attempts on glassbox (BPF LSM where the kernel has it, a cgroup "
                    "tripwire everywhere); none: neither (see below)")
        ->capture_default_str()
        ->check(CLI::IsMember({"guard", "none"}));
    cmd->add_flag("--fail-closed", args->fail_closed,
                  "If glassbox is killed or crashes, kill every traced process (a watchdog outside the tree)");
    cmd->add_option("--sign-key", args->sign_key,
                    "Ed25519 private key (PEM): sign the trace's final digest (glassbox verify --pubkey)")
        ->check(CLI::ExistingFile);
    cmd->add_flag("--require-complete-coverage", args->require_complete,
                  "Refuse to record (exit 69) when this kernel cannot observe every event family "
                  "(the trace header's `coverage`; `glassbox doctor` lists them)");
    cmd->callback([args] {
        if (args->pids.empty() && args->cgroup.empty())
            throw fatal_error(exit_code::usage, "attach needs --pid PID (repeatable) or --cgroup PATH");
        record::session_options o;
        o.out = args->out;
        o.trace.sign_key = args->sign_key;
        o.mode = "attach";
        o.follow = args->follow;
        o.fail_closed = args->fail_closed;
        o.progress = !args->quiet;
        if (args->duration > 0)
            o.timeout = std::chrono::milliseconds(static_cast<long long>(args->duration * 1000));
        std::size_t rb = static_cast<std::size_t>(args->ringbuf_mb) << 20;
        if ((rb & (rb - 1)) != 0)
            throw fatal_error(exit_code::usage, "--ringbuf-mb must be a power of two (1, 2, 4, ... 4096)");
        o.recorder_opts.ringbuf_bytes = rb;
        o.recorder_opts.require_complete = args->require_complete;
        o.recorder_opts.spool_memory_bytes = static_cast<std::size_t>(args->spool_mb) << 20;
        o.recorder_opts.lsm_guard = args->protect == "guard";
        std::vector<pid_t> pids(args->pids.begin(), args->pids.end());
        auto res = record::attach_session(pids, args->cgroup, o);
        if (!args->quiet)
            fmt::print(stderr, "glassbox: {} events written to {} (ended by {}, lost {})\n", res.events,
                       res.trace_path, res.ended_by, res.lost.total);
        set_command_exit(res.lost.total > 0 && !args->allow_loss ? to_int(exit_code::events_lost) : 0);
    });
}

} // namespace glassbox
