// The recording core as a library, used by `glassbox run`, `glassbox attach` and by enforcement
// (which launches the child itself with its sandbox applied and writes the same trace).
//
// Data path: cgroup_dir (scope) + launch() (child born in the cgroup, paused until released)
//   -> recorder (loads the BPF skeleton, scopes it to the cgroup and root pids, attaches)
//   -> recorder::poll() (ring buffer -> decoder -> trace_writer, one JSON line per record)
//   -> recorder::finish() (drain, read loss counters, summary line, rename).
// session::run()/attach() wire these together with timeouts, signals and the live view; enforce
// can use session with launch_options::child_setup, or the pieces directly.
#pragma once

#include <glassbox/error.hpp>
#include <glassbox/trace_writer.hpp>

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace glassbox::record {

// ---- cgroup v2 -------------------------------------------------------------------------------

// The cgroup2 mount point from /proc/self/mountinfo; mounts one under /run/glassbox/cgroup2 when
// there is none. Errors: exit_code::environment.
result<std::string> cgroup2_root();

// A cgroup v2 directory: created by create() and removed (after killing what is left) on
// destruction, or an existing one opened by open_existing() and left alone.
class cgroup_dir {
public:
    static result<cgroup_dir> create(const std::string& prefix = "glassbox");
    static result<cgroup_dir> open_existing(const std::string& path);

    cgroup_dir(cgroup_dir&& o) noexcept;
    cgroup_dir& operator=(cgroup_dir&& o) noexcept;
    cgroup_dir(const cgroup_dir&) = delete;
    ~cgroup_dir();

    const std::string& path() const { return path_; }
    int fd() const { return fd_; }              // O_DIRECTORY fd (CLONE_INTO_CGROUP, BPF map)
    std::uint64_t id() const { return id_; }    // the kernel's cgroup id (inode number)
    bool populated() const;                     // cgroup.events "populated 1"
    std::vector<pid_t> pids() const;            // cgroup.procs, recursively
    void kill() const;                          // cgroup.kill, or SIGKILL to every pid

private:
    cgroup_dir() = default;
    void reset();
    std::string path_;
    int fd_ = -1;
    std::uint64_t id_ = 0;
    bool owned_ = false;
};

// ---- launching ---------------------------------------------------------------------------------

// ---- protecting the recording from the traced tree (docs/recording.md, "Protection") ---------

// How the traced tree is kept from killing, stopping or blinding glassbox:
//   pidns    the tree runs in its own pid and mount namespaces with its own /proc, under a
//            glassbox init that dies with glassbox (the kernel then kills the whole namespace);
//   landlock a Landlock domain scoping signals (ABI 6+, Linux 6.12) and ptrace; the tree keeps
//            the machine's /proc and pids; a watchdog kills the tree if glassbox dies;
//   none     nothing but the watchdog (the trace header says so).
// pidns and landlock also load the recorder's LSM guard where the kernel runs the BPF LSM
// (bpf/record/guard.h). Every mode also hardens glassbox itself (OOM score, the cgroup v2 root,
// SIGXFSZ) and, except none, gives the tree a seccomp filter that refuses the bpf() commands
// that would reach glassbox's BPF objects by id.
enum class protect_mode { pidns, landlock, none };

// Whether the LSM guard runs in this recording, and if not, why (the trace header says it).
struct lsm_guard_state {
    bool active = false;
    std::string detail; // why not (the kernel's answer), when inactive; empty when not asked for
    // The cgroup tripwire (a tracepoint, not an LSM hook: it runs on every kernel), loaded with
    // the guard whenever the guard was asked for.
    bool tripwire = false;
};
std::optional<protect_mode> parse_protect_mode(std::string_view s);
std::string_view protect_mode_name(protect_mode m);

class protection {
public:
    // Checks what `mode` needs on this kernel (exit_code::environment when it is missing) and
    // builds what the child applies. Does not change glassbox yet (harden() does).
    // `guard`: the recorder's LSM guard, which closes some of a mode's gaps where it runs.
    static result<protection> prepare(protect_mode mode, const lsm_guard_state& guard = {});
    // attach's protection: the LSM guard (unless `guard` is inactive) and, with --fail-closed,
    // the watchdog. Nothing fences off processes glassbox did not start.
    static protection for_attach(const lsm_guard_state& guard, bool fail_closed);
    protection(protection&&) noexcept;
    protection& operator=(protection&&) noexcept;
    protection(const protection&) = delete;
    ~protection();

    protect_mode mode() const { return mode_; }
    bool pid_namespace() const { return mode_ == protect_mode::pidns; }
    // Adds a glassbox process the tree must not reach through pid-addressed calls the kernel
    // does not scope (prlimit, sched_*, setpriority, ioprio_set), by its number as the tree sees
    // it (without a pid namespace: glassbox's own pids; with one, prepare() adds the init, 1).
    // Before build().
    void guard_pid(pid_t pid) { guarded_.push_back(pid); }
    // Builds the seccomp program (in the parent: libseccomp allocates).
    result<void> build();
    // In the launched child, before it waits to be released (so nothing of it is recorded):
    // Landlock domain, seccomp filter. Returns 0 or an errno. Async-signal-safe.
    int apply_in_child() const;
    // Hardens glassbox itself once the tree is forked (it must not inherit this): OOM score
    // -1000, the cgroup v2 root (where no cgroup.kill or cgroup.freeze exists), SIGXFSZ ignored.
    void harden_self();
    // The tripwire saw the tree move glassbox's processes into another cgroup (recorder::
    // guarded_moves() grew): glassbox and `others` (its watchdog, its pid namespace's init; pids
    // <= 0 are skipped) go back to the cgroup v2 root before anything freezes them there. Says
    // so on stderr.
    void move_back(std::initializer_list<pid_t> others);
    // The trace header's `protection` object.
    std::string json() const;
    // What this mode does not stop, one line each (stderr and the header).
    const std::vector<std::string>& gaps() const { return gaps_; }

private:
    protection() = default;
    protect_mode mode_ = protect_mode::none;
    std::string_view attach_mode_; // for_attach(): "guard" or "none" (attach's --protect)
    int ruleset_fd_ = -1; // Landlock domain to enter (landlock mode)
    std::vector<pid_t> guarded_;
    std::vector<unsigned char> filter_; // struct sock_filter[]
    std::vector<std::string> mechanisms_;
    std::vector<std::string> gaps_;
};

// Fail-closed for the modes without a pid namespace: a process outside the tree that kills the
// whole traced tree (cgroup.kill, and every pid in the recorder's scope set and their children,
// stopped first so none can fork away) if glassbox ends without saying the recording is over.
// What keeps a recording going without glassbox: the ring buffer and the links of every attached
// program (descriptors owned by the recorder).
struct recording_handles {
    int ring_fd = -1;
    std::size_t ring_size = 0;
    std::vector<int> link_fds;
};

struct root_keeper; // watchdog.cpp

// A process outside the tree, forked by glassbox, that acts when glassbox ends before the
// recording is over (docs/recording.md, "Fail-closed"): it stops the tree, keeps what the kernel
// recorded and glassbox did not write, and kills the tree.
class watchdog {
public:
    // Forks the watchdog. `scope_map_fd`: the recorder's scope set (BPF hash of tgids).
    // `tree_is_new` (run): only processes started after the watchdog are the tree's (a pid the
    // scope set still holds may have been reused); attach's targets are older.
    // `fail_closed` (run; attach --fail-closed): the tree is stopped and killed when glassbox
    // dies; otherwise (attach) the watchdog only keeps the evidence.
    static result<watchdog> start(const cgroup_dir* cg, int scope_map_fd, bool tree_is_new, bool fail_closed = true);
    watchdog(watchdog&& o) noexcept;
    watchdog& operator=(watchdog&&) = delete;
    watchdog(const watchdog&) = delete;
    ~watchdog(); // without done(): the watchdog kills the tree (an error ended glassbox early)
    pid_t pid() const { return pid_; }
    // Once the recording is live (after recorder::start() and the header): the watchdog takes
    // its own references to the ring buffer and the programs' links, so that they stay attached
    // if glassbox dies. It then stops the tree (fail-closed), appends the records the ring still
    // holds to TRACE.partial (the hash chain continued, under a `watchdog` line) and kills the
    // tree (fail-closed). Without arm() it can only kill the tree. Errors: the descriptors could
    // not be passed.
    result<void> arm(const recording_handles& h, const std::string& trace_path, std::int64_t start_mono_ns);
    // Called by glassbox's loop every tick: a watchdog the tree stopped is continued, one it
    // moved out of the cgroup v2 root is moved back (it does the same for glassbox).
    void keep_running();
    // The recording is over and the tree is gone: the watchdog exits quietly.
    void done();
    bool fail_closed() const { return fail_closed_; }

private:
    watchdog(pid_t pid, int fd, bool fail_closed) : pid_(pid), fd_(fd), fail_closed_(fail_closed) {}
    pid_t pid_ = -1;
    int fd_ = -1;
    bool fail_closed_ = true;
    std::shared_ptr<root_keeper> keeper_; // keep_running()'s memory (watchdog.cpp)
};

struct launch_options {
    std::vector<std::string> argv;  // argv[0] is searched in PATH like execvp, in the parent
    const cgroup_dir* cgroup = nullptr; // the child is born inside it (clone3 CLONE_INTO_CGROUP)
    // Runs in the child after it is in the cgroup and released, right before execve. Return 0,
    // or an errno value to abort (the parent's release() then fails with that reason). Must be
    // async-signal-safe in spirit: the child is a fresh fork of this process.
    std::function<int()> child_setup;
    // Applied in the child before it waits for release; pidns mode puts an init in between.
    const protection* protect = nullptr;
};

// A launched command, stopped before execve until release().
class child_process {
public:
    child_process(child_process&& o) noexcept;
    child_process& operator=(child_process&&) = delete;
    child_process(const child_process&) = delete;
    ~child_process(); // never released: killed and reaped

    pid_t pid() const { return pid_; }
    // pidns: the namespace's init (glassbox's own process, outside the cgroup); -1 otherwise.
    pid_t init_pid() const { return init_; }
    // The command's wait status once it has ended (reaps it, or reads it from the pid
    // namespace's init, which also reaps what is reparented to it); nullopt while it runs.
    std::optional<int> poll_status();
    // SIGKILL to the namespace's init (the kernel then kills every process of the namespace).
    void kill_namespace();
    // Lets the child run child_setup and exec. Errors: exec failed (not found -> not_found,
    // permission -> not_executable) or child_setup failed; the child has then exited.
    std::expected<void, fatal_error> release();

private:
    friend std::expected<child_process, fatal_error> launch(const launch_options& opts);
    child_process(pid_t pid, int go_fd, int err_fd) : pid_(pid), go_fd_(go_fd), err_fd_(err_fd) {}
    pid_t pid_ = -1;
    int go_fd_ = -1;
    int err_fd_ = -1;
    bool released_ = false;
    pid_t init_ = -1;      // pidns: the namespace's init (glassbox's own child)
    int status_fd_ = -1;   // pidns: the command's wait status, written by the init
    std::optional<int> status_;
};

// Resolves argv[0] like execvp (PATH search) in the parent. Errors: not_found / not_executable.
std::expected<std::string, fatal_error> resolve_command(const std::string& name);

std::expected<child_process, fatal_error> launch(const launch_options& opts);

// ---- the recorder ------------------------------------------------------------------------------

struct recorder_options {
    // The ring buffer, in MiB (a power of two). 4 MiB: ~20,000 records of slack, 40 ms at
    // 500,000 events/s, for a drain thread that only copies (docs/recording.md, "Nothing lost").
    // Larger costs the traced program more: every ring page is written cold once per lap.
    static constexpr unsigned default_ringbuf_mb = 4;
    // Raw records waiting to be formatted are kept in memory up to this, then in an unlinked
    // temporary file (docs/recording.md, "Draining and formatting").
    static constexpr unsigned default_spool_mb = 64;
    std::size_t ringbuf_bytes = std::size_t{default_ringbuf_mb} << 20;
    std::size_t spool_memory_bytes = std::size_t{default_spool_mb} << 20;
    // --require-complete-coverage: refuse (exit 69) when this kernel cannot observe every family.
    bool require_complete = false;
    // Load the LSM guard (bpf/record/guard.h) where the kernel runs the BPF LSM: the tree's
    // signals, ptrace, limits and scheduling calls on glassbox's processes are refused.
    bool lsm_guard = false;
};


struct loss_counts {
    std::uint64_t total = 0;
    std::vector<std::uint64_t> by_cpu;
    std::map<std::string, std::uint64_t> by_type;
};

// A decoded record, for live views (the trace line itself is already written).
struct event_view {
    std::string_view type;
    std::int64_t ts = 0;
    std::uint32_t pid = 0;
    std::uint32_t tid = 0;
    std::string_view comm;
    const std::string* text = nullptr; // short human description ("open /etc/passwd = 3")
    bool failed = false;               // ret < 0
    const std::string* json = nullptr; // the event's trace line (enforce derives Landlock denials)
};

// One event family's observability on this kernel (the trace header's `coverage.families`).
struct coverage_family {
    std::string name;     // process, exit, file, net, unix_peer, dns, signals, ...
    bool observed = true; // recorded on this kernel
    std::string via;      // how (hook, kfunc or fallback), when observed
    std::string degraded; // observed, but weaker than on kernels that have X (why), or empty
    std::string reason;   // why not, when not observed
};

struct coverage {
    std::string variant; // "kfunc" (6.2+: bpf_rdonly_cast, bpf_task_from_pid) or "legacy"
    std::vector<coverage_family> families;
    // Every family observed and none degraded.
    bool complete() const;
    // The families not observed or degraded, one line each ("io_uring: not observed: ...").
    std::vector<std::string> gaps() const;
    // The `coverage` JSON object of the trace header.
    std::string json() const;
};

class recorder {
public:
    // Checks privileges and kernel support, loads the BPF programs (not attached yet).
    // Throws fatal_error (no_permission, environment).
    static std::unique_ptr<recorder> create(const recorder_options& opts = {});
    ~recorder();

    // Scope: everything under this cgroup (and its sub-cgroups), plus these processes and all
    // their descendants, wherever they move.
    void scope_cgroup(const cgroup_dir& cg);
    void scope_pid(pid_t pid);

    // Attaches the programs; events are written to `out` from now on. `start_mono_ns` is ts = 0.
    void start(trace_writer& out, std::int64_t start_mono_ns);
    // The first call starts the drain and formatter threads (so no line is written before the
    // caller's header); then waits timeout_ms and returns the number of records formatted since
    // the last call.
    int poll(int timeout_ms);
    // Returns once every record in the ring buffer now has been formatted and written.
    void drain();
    // Stops the drain and formatter threads (idempotent; the destructor does it too): call it
    // before the trace_writer given to start() goes away.
    void stop();
    // Processes in scope (the kernel's scope set), used to know when a traced tree is gone.
    std::size_t scope_size() const;
    std::vector<pid_t> scope_pids() const;
    int scope_map_fd() const; // the kernel's scope set (the watchdog reads it)
    // What keeps the recording going without glassbox (after start()); see watchdog::arm.
    recording_handles watch_handles() const;
    // Once the watchdog holds those: when this process ends before the recording is over, the
    // kernel stops every traced process at its next syscall (the watchdog then kills them).
    void stop_tree_when_gone();
    // The LSM guard (recorder_options::lsm_guard) and the processes it protects: glassbox's own
    // (its tgids in the initial pid namespace), added before start(). start() adds the ids of the
    // recorder's own BPF programs, maps and links.
    const lsm_guard_state& lsm_guard() const;
    void lsm_guard_pid(pid_t pid);
    // How many times the tree moved one of glassbox's processes into another cgroup (the
    // tripwire's count, read from the kernel); the session then moves them back.
    std::uint64_t guarded_moves() const;
    loss_counts lost() const;
    std::uint64_t truncated_paths() const;
    std::uint64_t truncated_argv() const;
    std::uint64_t records() const;  // records formatted so far
    std::uint64_t captured() const; // records taken out of the ring buffer so far (>= records())
    std::int64_t last_ts() const; // ts of the latest record (ns since start)
    // Called after each record is written (live view); keep it cheap.
    void on_event(std::function<void(const event_view&)> cb);

    // What this kernel lets the recorder observe: one entry per event family, and whether the
    // whole is complete (the trace header's `coverage` object, docs/trace-format.md).
    const struct coverage& coverage() const;

    // Appends an extra line (e.g. enforcement's `violation`) with the common fields of `pid`
    // (comm and exe from the recorder's process table) and `ts` = now; `fill` adds the rest.
    void append_event(std::string_view type, pid_t pid, const std::function<void(json_line&)>& fill);

    struct impl;

private:
    explicit recorder(std::unique_ptr<impl> p);
    std::unique_ptr<impl> impl_;
};

// ---- a whole recording ------------------------------------------------------------------------

struct session_options {
    std::string out;                       // trace file
    trace_writer_options trace;            // signing key, flush cadence, checkpoints
    std::string mode = "run";              // header "mode"
    bool follow = false;                   // live view on stderr
    bool progress = true;                  // one-line status on a TTY (without follow)
    std::optional<std::chrono::milliseconds> timeout; // run: --timeout; attach: --duration
    recorder_options recorder_opts;
    std::vector<std::pair<std::string, std::string>> header_extra; // raw JSON fields
    std::function<int()> child_setup;      // run: see launch_options
    protect_mode protect = protect_mode::pidns; // run: --protect (docs/recording.md, "Protection")
    bool fail_closed = false;              // attach: a watchdog kills the traced tree if glassbox dies
    // Called once the recorder is started (before the child is released); enforce attaches its
    // own programs / supervisor here. The recorder stays valid until run()/attach() returns.
    std::function<void(recorder&, const child_process*)> on_started;
    // Called about every 20 ms in the loop (enforce can service its own fds here).
    std::function<void()> on_tick;
};

struct session_result {
    std::optional<int> exit_code;   // root command
    std::optional<int> exit_signal;
    std::string ended_by;           // exit, timeout, signal, duration
    loss_counts lost;
    std::uint64_t events = 0;
    std::string trace_path;
    // The status glassbox should exit with: the command's (128+N for a signal), or
    // events_lost (3) when lost > 0 (the caller decides about --allow-loss).
    int command_status() const;
};

// glassbox run: launch argv in a fresh cgroup and record until the tree is gone.
session_result run_session(const std::vector<std::string>& argv, const session_options& opts);

// glassbox attach: record already-running processes (and their future descendants) or a cgroup.
session_result attach_session(const std::vector<pid_t>& pids, const std::string& cgroup_path,
                              const session_options& opts);

} // namespace glassbox::record
