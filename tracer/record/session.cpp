// A whole recording (see include/glassbox/record.hpp): the order of setup that guarantees nothing
// is missed (recorder loaded -> cgroup -> child born in it, paused -> header -> scope -> attach ->
// release), the main loop (ring buffer, reaping, end conditions: tree gone, timeout, signal), the
// live view / progress line, and the summary. Used by `glassbox run`, `glassbox attach` and
// enforcement.
#include <glassbox/event_kinds.h>
#include <glassbox/log.hpp>
#include <glassbox/record.hpp>

#include <fmt/color.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdlib>
#include <csignal>
#include <cstring>
#include <fstream>
#include <functional>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

namespace glassbox::record {

namespace {

using clock = std::chrono::steady_clock;

// SIGINT/SIGTERM/SIGHUP arrive through a signalfd polled by the loop (no handler, no global).
// SIGCHLD too, only to wake the loop at once when a child ends (launch() resets the mask of the
// traced command, so it does not inherit any of this).
class signal_watch {
public:
    signal_watch() {
        sigset_t set;
        sigemptyset(&set);
        for (int s : {SIGINT, SIGTERM, SIGHUP, SIGCHLD})
            sigaddset(&set, s);
        ::sigprocmask(SIG_BLOCK, &set, &old_);
        fd_ = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    }
    ~signal_watch() {
        if (fd_ >= 0)
            ::close(fd_);
        ::sigprocmask(SIG_SETMASK, &old_, nullptr);
    }
    signal_watch(const signal_watch&) = delete;
    signal_watch& operator=(const signal_watch&) = delete;
    // The ending signal received since the last call, or 0 (SIGCHLD only wakes wait()).
    int take() {
        signalfd_siginfo si{};
        while (fd_ >= 0 && ::read(fd_, &si, sizeof(si)) == sizeof(si))
            if (si.ssi_signo != SIGCHLD)
                return static_cast<int>(si.ssi_signo);
        return 0;
    }
    // Waits up to timeout_ms for a signal (not consumed: take() reads it).
    void wait(int timeout_ms) {
        pollfd p{fd_, POLLIN, 0};
        if (fd_ >= 0)
            ::poll(&p, 1, timeout_ms);
    }

private:
    int fd_ = -1;
    sigset_t old_{};
};

std::string host_name() {
    char buf[256] = {};
    ::gethostname(buf, sizeof(buf) - 1);
    return buf;
}

std::string kernel_release() {
    utsname u{};
    ::uname(&u);
    return u.release;
}

std::string current_dir() {
    char buf[4096];
    return ::getcwd(buf, sizeof(buf)) ? buf : "";
}

// The live view: one line per event on stderr, coloured by category on a TTY.
void print_follow(const event_view& v, bool colour) {
    double secs = static_cast<double>(v.ts) / 1e9;
    std::string text = v.text ? *v.text : std::string(v.type);
    if (!colour) {
        fmt::print(stderr, "{:10.6f} {:>7} {:<15} {}\n", secs, v.pid, v.comm, text);
        return;
    }
    auto cat = event_category_of(v.type);
    fmt::text_style style;
    switch (cat) {
    case event_category::process: style = fg(fmt::terminal_color::cyan); break;
    case event_category::file: style = fmt::text_style{}; break;
    case event_category::network: style = fg(fmt::terminal_color::magenta); break;
    case event_category::privileged: style = fg(fmt::terminal_color::yellow) | fmt::emphasis::bold; break;
    default: break;
    }
    if (v.failed)
        style = fg(fmt::terminal_color::red);
    fmt::print(stderr, fmt::fg(fmt::terminal_color::bright_black), "{:10.6f} {:>7} {:<15} ", secs, v.pid, v.comm);
    fmt::print(stderr, style, "{}\n", text);
}

class progress_line {
public:
    explicit progress_line(bool enabled) : enabled_(enabled), start_(clock::now()), last_(start_) {}
    // `events`: captured so far (the recording's pace); `written`: lines in the trace so far,
    // shown while the formatter lags behind a burst.
    void update(std::uint64_t events, std::uint64_t written, bool force = false) {
        if (!enabled_)
            return;
        auto now = clock::now();
        if (!force && now - last_ < std::chrono::milliseconds(500))
            return;
        double el = std::chrono::duration<double>(now - start_).count();
        double dt = std::chrono::duration<double>(now - last_).count();
        double rate = dt > 0 ? static_cast<double>(events - last_events_) / dt : 0;
        std::string lag = written + 1000 < events ? fmt::format(" ({} written)", written) : std::string();
        fmt::print(stderr, "\r\033[Kglassbox: recording: {} events{}, {:.0f}/s, {:.1f}s elapsed", events, lag, rate,
                   el);
        last_ = now;
        last_events_ = events;
        shown_ = true;
    }
    ~progress_line() {
        if (shown_)
            fmt::print(stderr, "\r\033[K");
    }

private:
    bool enabled_;
    clock::time_point start_;
    clock::time_point last_;
    std::uint64_t last_events_ = 0;
    bool shown_ = false;
};

std::string json_str(std::string_view s) {
    std::string out;
    append_json_string(out, s);
    return out;
}

// The launched command's $HOME and $TMPDIR (it inherits glassbox's environment), for the header's
// "env": diff and review write paths below them as <home>/<tmpdir> (docs/review.md).
std::string run_env_json() {
    std::string out = "{";
    for (const char* name : {"HOME", "TMPDIR"})
        if (const char* v = std::getenv(name); v && *v)
            out += fmt::format("{}\"{}\":{}", out.size() > 1 ? "," : "", name, json_str(v));
    return out + "}";
}

// Declared right after the trace_writer, so destroyed right before it: the recorder's threads
// must not outlive the writer they write into (an error thrown mid-recording unwinds past both).
struct stop_before_writer {
    recorder& rec;
    ~stop_before_writer() { rec.stop(); }
};

struct loop_state {
    std::optional<int> exit_code;
    std::optional<int> exit_signal;
    std::string ended_by;
};

// Records the root command's status once it has ended.
void reap(child_process& child, loop_state& st, bool& root_done) {
    if (root_done)
        return;
    auto status = child.poll_status();
    if (!status)
        return;
    root_done = true;
    if (WIFEXITED(*status))
        st.exit_code = WEXITSTATUS(*status);
    else if (WIFSIGNALED(*status))
        st.exit_signal = WTERMSIG(*status);
}

trace_summary make_summary(recorder& rec, const loop_state& st, const loss_counts& lost) {
    trace_summary s;
    s.duration_ns = static_cast<std::uint64_t>(std::max<std::int64_t>(0, rec.last_ts()));
    s.lost = lost.total;
    s.lost_by_cpu = lost.by_cpu;
    s.lost_by_type = lost.by_type;
    s.truncated_paths = rec.truncated_paths();
    s.truncated_argv = rec.truncated_argv();
    s.exit_code = st.exit_code;
    s.exit_signal = st.exit_signal;
    s.ended_by = st.ended_by;
    s.coverage_gaps = rec.coverage().gaps();
    return s;
}

// What this kernel does not let the recorder see, said before the recording starts (and kept in
// the trace's header and summary).
void warn_coverage(const recorder& rec) {
    for (const auto& gap : rec.coverage().gaps())
        spdlog::warn("coverage: {}", gap);
}

// Without a pid namespace the tree can reach more than it could: said before the recording.
void warn_protection(const protection& p) {
    if (p.pid_namespace())
        return;
    for (const auto& gap : p.gaps())
        spdlog::warn("protection ({}): {}", protect_mode_name(p.mode()), gap);
}

// Ends a launched tree early: everything in the cgroup, and every process of the kernel's scope
// set (which includes those that moved themselves out of the cgroup).
void kill_scope(const cgroup_dir& cg, recorder& rec, child_process* child) {
    if (child)
        child->kill_namespace();
    cg.kill();
    for (pid_t p : rec.scope_pids())
        if (p > 1 && p != ::getpid())
            ::kill(p, SIGKILL);
}

void finish_trace(trace_writer& w, recorder& rec, const loop_state& st, session_result& res,
                  const std::function<void()>& on_tick) {
    // Every traced process is gone (or the kill deadline passed): their records were put on the
    // ring by their own syscalls and exit, before they could be reaped. Format all of them.
    rec.drain();
    // Formatting runs on its own thread, so the last records may have been formatted after the
    // loop's last tick: give the caller one more (enforcement appends the violations it derived
    // from them there) before the summary closes the trace.
    if (on_tick)
        on_tick();
    loss_counts lost = rec.lost();
    auto s = make_summary(rec, st, lost);
    // The summary's duration: now, not the last record's ts.
    if (auto r = w.finish(s); !r)
        throw fatal_error(exit_code::cant_create, r.error().message);
    res.lost = lost;
    res.events = w.events();
    res.trace_path = w.path();
    res.exit_code = st.exit_code;
    res.exit_signal = st.exit_signal;
    res.ended_by = st.ended_by;
}

void warn_loss(const loss_counts& lost) {
    if (lost.total == 0)
        return;
    std::string by;
    for (const auto& [k, v] : lost.by_type)
        by += fmt::format("{}{}={}", by.empty() ? "" : ", ", k, v);
    std::string msg = fmt::format("WARNING: {} events were LOST ({}); this trace is NOT complete evidence. "
                                  "Increase --ringbuf-mb or reduce the load.",
                                  lost.total, by);
    if (stderr_is_tty())
        fmt::print(stderr, fmt::emphasis::bold | fg(fmt::terminal_color::red), "glassbox: {}\n", msg);
    else
        fmt::print(stderr, "glassbox: {}\n", msg);
}

// Each tick of a loop: when the cgroup tripwire saw the tree move one of glassbox's processes
// since the last tick (its mover is dead), glassbox, and `others`, go back to the cgroup v2 root.
void follow_tripwire(const recorder& rec, protection& prot, std::uint64_t& seen, std::initializer_list<pid_t> others) {
    if (auto m = rec.guarded_moves(); m != seen) {
        seen = m;
        prot.move_back(others);
    }
}

void setup_view(recorder& rec, const session_options& opts) {
    if (opts.follow) {
        bool colour = stderr_is_tty();
        rec.on_event([colour](const event_view& v) { print_follow(v, colour); });
    }
}

// The watchdog holds the recording's ring and links from now on: should glassbox die, the kernel
// stops the tree at its next syscall and what it still holds reaches the trace. Without them the
// watchdog can still kill the tree.
void arm_watchdog(watchdog& dog, recorder& rec, const std::string& out, std::int64_t start_mono) {
    if (auto r = dog.arm(rec.watch_handles(), out, start_mono); !r)
        spdlog::warn("{}: if glassbox dies, the watchdog kills the tree but cannot keep what the kernel recorded "
                     "after glassbox's last write",
                     r.error().message);
    else if (dog.fail_closed())
        rec.stop_tree_when_gone();
}

} // namespace

int session_result::command_status() const {
    if (exit_code)
        return *exit_code;
    if (exit_signal)
        return 128 + *exit_signal;
    return 0;
}

session_result run_session(const std::vector<std::string>& argv, const session_options& opts) {
    if (argv.empty())
        throw fatal_error(exit_code::usage, "no command given: glassbox run [OPTIONS] -- CMD [ARGS...]");
    // Order matters for "one clear error, no partial trace": privileges and kernel first, then the
    // command, then the output file.
    recorder_options ro = opts.recorder_opts;
    ro.lsm_guard = opts.protect != protect_mode::none; // none means none: the tree may reach glassbox
    auto rec = recorder::create(ro);
    if (auto p = resolve_command(argv[0]); !p)
        throw p.error();
    auto writer = trace_writer::open(opts.out, opts.trace);
    if (!writer)
        throw fatal_error(exit_code::cant_create, writer.error().message);
    // The recorder's threads write into *writer: they stop before it goes, whatever ends this.
    stop_before_writer stopper{*rec};
    auto prot = protection::prepare(opts.protect, rec->lsm_guard());
    if (!prot)
        throw fatal_error(exit_code::environment, prot.error().message);
    rec->lsm_guard_pid(::getpid());
    warn_protection(*prot);
    auto cg = cgroup_dir::create();
    if (!cg)
        throw fatal_error(exit_code::environment, cg.error().message);
    rec->scope_cgroup(*cg);
    // A watchdog outside the tree keeps what the kernel holds if glassbox dies, and without a pid
    // namespace (whose kernel ends the tree with glassbox's init) fails closed. Started before
    // the launch: it must not hold the command's go pipe.
    std::optional<watchdog> dog;
    {
        auto w = watchdog::start(&*cg, rec->scope_map_fd(), true, !prot->pid_namespace());
        if (!w)
            throw fatal_error(exit_code::internal, w.error().message);
        dog.emplace(std::move(*w));
        if (!prot->pid_namespace()) { // in one, the tree cannot name them (its pid 1 is guarded)
            prot->guard_pid(dog->pid());
            prot->guard_pid(::getpid());
        }
        rec->lsm_guard_pid(dog->pid());
    }
    if (auto b = prot->build(); !b)
        throw fatal_error(exit_code::environment, b.error().message);

    signal_watch signals;
    std::int64_t start_mono = monotonic_ns();
    std::int64_t start_real = realtime_ns();
    launch_options lo{argv, &*cg, opts.child_setup, &*prot};
    auto child = launch(lo);
    if (!child)
        throw child.error();
    prot->harden_self(); // after the fork: the command keeps its own OOM score and cgroup
    if (child->init_pid() > 0)
        rec->lsm_guard_pid(child->init_pid());
    rec->scope_pid(child->pid());

    trace_header h;
    h.mode = opts.mode;
    h.command = argv;
    h.cwd = current_dir();
    h.host = host_name();
    h.kernel = kernel_release();
    h.start_realtime_ns = start_real;
    h.start_mono_ns = start_mono;
    h.root_pid = child->pid();
    h.cgroup = cg->path();
    h.extra = opts.header_extra;
    h.extra.emplace_back("env", run_env_json());
    h.extra.emplace_back("coverage", rec->coverage().json());
    h.extra.emplace_back("protection", prot->json());
    warn_coverage(*rec);
    setup_view(*rec, opts);
    // Attached before the header is written: a header on disk means the recorder is live (the
    // records are only consumed by poll(), after the header).
    rec->start(*writer, start_mono);
    writer->write_header(h);
    if (dog)
        arm_watchdog(*dog, *rec, opts.out, start_mono);
    if (opts.on_started)
        opts.on_started(*rec, &*child);
    if (auto r = child->release(); !r)
        throw r.error();

    progress_line progress(!opts.follow && opts.progress && stderr_is_tty());
    loop_state st;
    bool root_done = false;
    std::uint64_t moves_seen = 0;
    const clock::time_point deadline = opts.timeout ? clock::now() + *opts.timeout : clock::time_point::max();
    std::optional<clock::time_point> kill_deadline;
    std::optional<clock::time_point> tree_gone_at;
    for (;;) {
        signals.wait(20);
        int sig = signals.take(); // also empties the signalfd of SIGCHLDs, or wait() would spin
        rec->poll(0);
        reap(*child, st, root_done);
        follow_tripwire(*rec, *prot, moves_seen, {dog ? dog->pid() : -1, child->init_pid()});
        if (dog)
            dog->keep_running();
        if (opts.on_tick)
            opts.on_tick();
        writer->flush_due(); // the durability window: docs/recording.md, "Durability"
        progress.update(rec->captured(), writer->events());
        if (kill_deadline) {
            // Ending early: wait (briefly) for the killed tree's exits to be recorded.
            if ((!cg->populated() && rec->scope_size() == 0) || clock::now() > *kill_deadline)
                break;
            continue;
        }
        if (writer->failed()) {
            // Nothing more reaches the file (disk full...): the tree must not go on unrecorded.
            spdlog::error("the trace can no longer be written: stopping the traced tree");
            st.ended_by = "write-error";
        } else if (sig) {
            spdlog::info("received signal {}: ending the recording", sig);
            st.ended_by = "signal";
        } else if (clock::now() >= deadline) {
            st.ended_by = "timeout";
        } else if (!cg->populated() && rec->scope_size() == 0) {
            // The tree is gone. The command's status comes from its init under --protect pidns:
            // an init the tree froze or moved away cannot hold the recording open past a grace.
            if (!tree_gone_at)
                tree_gone_at = clock::now();
            if (root_done || clock::now() - *tree_gone_at > std::chrono::seconds(1)) {
                if (!root_done)
                    spdlog::warn("the command's exit status was not reported by its pid namespace's init");
                st.ended_by = "exit";
                break;
            }
            continue;
        } else {
            continue;
        }
        kill_scope(*cg, *rec, &*child);
        kill_deadline = clock::now() + std::chrono::seconds(2);
    }
    reap(*child, st, root_done);
    session_result res;
    finish_trace(*writer, *rec, st, res, opts.on_tick);
    if (dog)
        dog->done();
    warn_loss(res.lost);
    return res;
}

session_result attach_session(const std::vector<pid_t>& pids, const std::string& cgroup_path,
                              const session_options& opts) {
    if (pids.empty() && cgroup_path.empty())
        throw fatal_error(exit_code::usage, "attach needs --pid PID... or --cgroup PATH");
    auto rec = recorder::create(opts.recorder_opts);
    for (pid_t p : pids)
        if (p <= 0 || (::kill(p, 0) != 0 && errno == ESRCH))
            throw fatal_error(exit_code::usage, fmt::format("no process with pid {}", p));
    std::optional<cgroup_dir> cg;
    if (!cgroup_path.empty()) {
        auto c = cgroup_dir::open_existing(cgroup_path);
        if (!c)
            throw fatal_error(exit_code::usage, c.error().message);
        cg.emplace(std::move(*c));
    }
    auto writer = trace_writer::open(opts.out, opts.trace);
    if (!writer)
        throw fatal_error(exit_code::cant_create, writer.error().message);
    stop_before_writer stopper{*rec};
    if (cg)
        rec->scope_cgroup(*cg);
    for (pid_t p : pids)
        rec->scope_pid(p);
    std::optional<watchdog> dog;
    {
        // Always: without --fail-closed it only keeps what the kernel holds should glassbox die.
        auto w = watchdog::start(cg ? &*cg : nullptr, rec->scope_map_fd(), false, opts.fail_closed);
        if (!w)
            throw fatal_error(exit_code::internal, w.error().message);
        dog.emplace(std::move(*w));
        rec->lsm_guard_pid(dog->pid());
    }
    rec->lsm_guard_pid(::getpid());
    auto prot = protection::for_attach(rec->lsm_guard(), opts.fail_closed);
    for (const auto& gap : prot.gaps())
        spdlog::warn("protection (attach): {}", gap);
    prot.harden_self(); // out of the caller's cgroup, whose cgroup.kill the target could write

    signal_watch signals;
    trace_header h;
    h.mode = opts.mode == "run" ? "attach" : opts.mode;
    h.cwd = current_dir();
    h.host = host_name();
    h.kernel = kernel_release();
    std::int64_t start_mono = monotonic_ns();
    h.start_realtime_ns = realtime_ns();
    h.start_mono_ns = start_mono;
    if (cg) {
        h.cgroup = cg->path();
        h.extra.emplace_back("target", fmt::format("{{\"cgroup\":{}}}", json_str(cg->path())));
    } else {
        h.extra.emplace_back("target", fmt::format("{{\"pids\":[{}]}}", fmt::join(pids, ",")));
    }
    for (const auto& e : opts.header_extra)
        h.extra.push_back(e);
    h.extra.emplace_back("protection", prot.json());
    h.extra.emplace_back("coverage", rec->coverage().json());
    warn_coverage(*rec);
    setup_view(*rec, opts);
    rec->start(*writer, start_mono);
    writer->write_header(h); // flushed: its presence tells a waiting test/user that we are live
    if (dog)
        arm_watchdog(*dog, *rec, opts.out, start_mono);
    if (opts.on_started)
        opts.on_started(*rec, nullptr);

    progress_line progress(!opts.follow && opts.progress && stderr_is_tty());
    loop_state st;
    const clock::time_point deadline = opts.timeout ? clock::now() + *opts.timeout : clock::time_point::max();
    std::uint64_t moves_seen = 0;
    for (;;) {
        signals.wait(20);
        rec->poll(0);
        follow_tripwire(*rec, prot, moves_seen, {dog ? dog->pid() : -1});
        if (dog)
            dog->keep_running();
        if (opts.on_tick)
            opts.on_tick();
        writer->flush_due();
        progress.update(rec->captured(), writer->events());
        if (writer->failed()) {
            spdlog::error("the trace can no longer be written: ending the recording");
            st.ended_by = "write-error";
            break;
        }
        if (signals.take()) {
            st.ended_by = "signal";
            break;
        }
        if (clock::now() >= deadline) {
            st.ended_by = "duration";
            break;
        }
        // Pid targets: stop when every traced process (and descendant) is gone.
        if (!cg && rec->scope_size() == 0) {
            st.ended_by = "exit";
            break;
        }
    }
    session_result res;
    finish_trace(*writer, *rec, st, res, opts.on_tick);
    if (dog)
        dog->done(); // the recording is over: the attached processes go on
    warn_loss(res.lost);
    return res;
}

} // namespace glassbox::record
