// Protecting the recording from the traced tree (see include/glassbox/record.hpp and
// docs/recording.md, "Protection"): the Landlock domain and seccomp filter the launched child
// enters before it is released, and the hardening of glassbox itself. The watchdog that acts when
// glassbox ends before the recording is over is in watchdog.cpp; the pid namespace's init lives in
// launch.cpp, beside the launcher it wraps.
#include <glassbox/kernel_features.hpp>
#include <glassbox/mountinfo.hpp>
#include <glassbox/record.hpp>

#include <bpf/bpf.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <seccomp.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace glassbox::record {

namespace {

// bpf() commands that turn a global id into a descriptor: with one, a root process could
// delete itself from the scope set, or detach glassbox's programs.
constexpr int bpf_prog_get_fd_by_id = 13;
constexpr int bpf_map_get_fd_by_id = 14;
constexpr int bpf_link_get_fd_by_id = 30;

// What harden_self() does, as the header's mechanisms say it (every mode, and attach).
constexpr const char* hardening_mechanism =
    "glassbox itself: OOM score -1000, moved to the cgroup v2 root (which has no cgroup.kill or cgroup.freeze), "
    "SIGXFSZ ignored (a file size limit ends the trace with an error, not glassbox)";

// The LSM guard's line among a mode's mechanisms (bpf/record/guard.h).
std::string guard_mechanism(std::string_view whose) {
    return fmt::format("BPF LSM guard: the tree's signals (kill(-1), process groups and SIGIO included), ptrace, "
                       "/proc/PID/mem, pidfd_getfd, process_vm_readv/writev, new resource limits, and scheduling, "
                       "nice and I/O priority changes on {} refused with EPERM, as is bpf() *_GET_FD_BY_ID of "
                       "glassbox's own programs, maps and links (each recorded as the failed call)",
                       whose);
}

bool to_cgroup_root(const std::string& root, pid_t pid) {
    return write_kernel_file(root + "/cgroup.procs", std::to_string(pid));
}

// The watchdog's line (watchdog.cpp; docs/recording.md, "Fail-closed").
constexpr const char* watchdog_mechanism =
    "a watchdog outside the tree holds the recording's BPF programs and ring buffer: if glassbox ends before the "
    "recording is over (killed, OOM, a crash), every traced process stops at its next syscall (that call still "
    "runs, and is recorded), and the watchdog appends what the kernel still holds (the attempt that ended glassbox "
    "among it) to the trace and kills the tree";
constexpr const char* signal_tripwire_mechanism =
    "signal tripwire (tracepoint signal_generate): a traced process that sends glassbox or its watchdog a stop "
    "signal (PTRACE_ATTACH does) is killed before it returns to user space, and glassbox and its watchdog continue "
    "each other";
constexpr const char* call_tripwire_mechanism =
    "call tripwire (sys_enter): a traced process calling ptrace or process_vm_readv/writev on glassbox or its "
    "watchdog is killed when that call returns, so none follows it (no poke after a PTRACE_SEIZE)";

// The cgroup tripwire's line, and what it leaves open (bpf/record/guard.h).
constexpr const char* tripwire_mechanism =
    "cgroup tripwire (tracepoint cgroup_attach_task): a traced process that moves glassbox or its watchdog into "
    "another cgroup is killed before it returns to user space, the move is recorded (`cgroup_attach`), and "
    "glassbox moves back to the cgroup v2 root";
std::string cgroup_gap(const lsm_guard_state& guard) {
    if (guard.tripwire)
        return "cgroup files: a process that moves glassbox into a frozen cgroup is killed and the move recorded, "
               "and glassbox stalls for up to ~20 ms until its watchdog moves it back (which thaws it); two processes "
               "acting together, each moving one of glassbox and its watchdog into a frozen cgroup at once, stall "
               "both for good (the ring then fills, its loss is counted); and a cgroup.kill of such a cgroup kills "
               "glassbox (then fail-closed: the watchdog appends what the kernel held)";
    return "cgroup files: the tree can move glassbox into another cgroup and freeze or kill that cgroup (its writes "
           "to cgroup files are recorded)";
}

std::string json_list(const std::vector<std::string>& v) {
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (i)
            out += ',';
        append_json_string(out, v[i]);
    }
    return out + "]";
}

} // namespace

std::optional<protect_mode> parse_protect_mode(std::string_view s) {
    if (s == "pidns")
        return protect_mode::pidns;
    if (s == "landlock")
        return protect_mode::landlock;
    if (s == "none")
        return protect_mode::none;
    return std::nullopt;
}

std::string_view protect_mode_name(protect_mode m) {
    switch (m) {
    case protect_mode::pidns: return "pidns";
    case protect_mode::landlock: return "landlock";
    case protect_mode::none: return "none";
    }
    return "none";
}

protection::protection(protection&& o) noexcept
    : mode_(o.mode_), attach_mode_(o.attach_mode_), ruleset_fd_(o.ruleset_fd_), guarded_(std::move(o.guarded_)), filter_(std::move(o.filter_)),
      mechanisms_(std::move(o.mechanisms_)), gaps_(std::move(o.gaps_)) {
    o.ruleset_fd_ = -1;
}

protection& protection::operator=(protection&& o) noexcept {
    if (this != &o) {
        if (ruleset_fd_ >= 0)
            ::close(ruleset_fd_);
        mode_ = o.mode_;
        attach_mode_ = o.attach_mode_;
        ruleset_fd_ = o.ruleset_fd_;
        o.ruleset_fd_ = -1;
        guarded_ = std::move(o.guarded_);
        filter_ = std::move(o.filter_);
        mechanisms_ = std::move(o.mechanisms_);
        gaps_ = std::move(o.gaps_);
    }
    return *this;
}

protection::~protection() {
    if (ruleset_fd_ >= 0)
        ::close(ruleset_fd_);
}

result<protection> protection::prepare(protect_mode mode, const lsm_guard_state& guard) {
    protection p;
    p.mode_ = mode;
    const std::string hardening = hardening_mechanism;
    const std::string bpf_filter = "seccomp: bpf() BPF_PROG/MAP/LINK_GET_FD_BY_ID refused with EPERM (the only way to "
                                   "reach glassbox's BPF programs and maps; recorded as a failed `bpf`)";
    const std::string common_gaps[] = {
        "a root tree can still load a kernel module, kexec or write kernel memory where lockdown allows it "
        "(recorded as privileged operations; the recording may not survive them)",
        "starving glassbox of CPU (nice, SCHED_FIFO loops) overflows the ring buffer: the loss is counted in the "
        "trace and exits 3, never hidden",
    };
    switch (mode) {
    case protect_mode::pidns: {
        // The namespace's init is the one process the tree can name: the kernel drops its signals
        // to it, the filter refuses pid-addressed calls on 1, and a Landlock domain (ABI 6+) also
        // refuses ptrace and /proc/1/mem, with which the tree could otherwise make the init lie
        // about the command's exit status.
        p.guarded_.push_back(1);
        int abi = landlock_abi();
        std::string ptrace_line;
        if (abi >= 6) {
            // A domain that handles no file access (one that did would also forbid mounts) and
            // scopes signals: the init is the only process outside it the tree can name.
            int fd = landlock_scope_signal_ruleset();
            if (fd >= 0) {
                p.ruleset_fd_ = fd;
                ptrace_line = fmt::format("Landlock domain (ABI {}): ptrace and signals from the tree to any process "
                                          "outside it (glassbox's init included) refused with EPERM; no file access "
                                          "or mount is restricted",
                                          abi);
            } else if (!guard.active) {
                p.gaps_.push_back(fmt::format("no Landlock domain ({}): the tree can write the memory of glassbox's "
                                              "init through /proc/1/mem (and so end its own namespace or falsify the "
                                              "command's exit status)",
                                              std::strerror(errno)));
            }
        } else if (!guard.active) {
            // The LSM guard refuses /proc/1/mem (ptrace_access_check) where it runs (6.1 has it).
            p.gaps_.push_back(fmt::format(
                "Landlock ABI {} (scoped domains need 6): ptrace and process_vm_writev on glassbox's init are refused "
                "by seccomp, but the tree can still write its memory through /proc/1/mem (and so end its own "
                "namespace, itself included, or falsify the command's exit status)",
                abi));
        }
        p.mechanisms_ = {
            "pid namespace: the tree sees only its own processes and its own /proc; glassbox and every other process "
            "of the machine cannot be named (kill, ptrace, pidfd_open, prlimit, cgroup.procs: ESRCH)",
            "fail-closed: the namespace's init is glassbox's and dies with it; the kernel then kills every process of "
            "the namespace",
            bpf_filter,
            "seccomp: ptrace, process_vm_readv/writev, prlimit64, sched_setaffinity/setscheduler/setparam/setattr, "
            "setpriority and ioprio_set on pid 1 (glassbox's init) refused with EPERM",
            hardening,
        };
        if (!ptrace_line.empty())
            p.mechanisms_.insert(p.mechanisms_.begin() + 2, ptrace_line);
        if (guard.active)
            p.mechanisms_.insert(p.mechanisms_.begin() + 2, guard_mechanism("glassbox's init"));
        p.gaps_.insert(p.gaps_.end(), std::begin(common_gaps), std::end(common_gaps));
        break;
    }
    case protect_mode::landlock: {
        int abi = landlock_abi();
        if (abi < 6)
            return std::unexpected(error{fmt::format(
                "--protect landlock needs Landlock ABI 6 (Linux 6.12+) for scoped signals; this kernel has {}; use "
                "--protect pidns",
                abi ? fmt::format("ABI {}", abi) : std::string("no Landlock"))});
        int fd = landlock_scope_signal_ruleset();
        if (fd < 0)
            return std::unexpected(error{fmt::format("landlock_create_ruleset: {}", std::strerror(errno))});
        p.ruleset_fd_ = fd;
        p.mechanisms_ = {
            fmt::format("Landlock domain (ABI {}): signals and ptrace from the tree to any process outside it are "
                        "refused (EPERM), so glassbox and its watchdog cannot be killed, stopped or traced",
                        abi),
            bpf_filter,
            "seccomp: prlimit64, sched_setaffinity/setscheduler/setparam/setattr, setpriority and ioprio_set on "
            "glassbox's processes refused with EPERM",
            std::string("fail-closed: ") + watchdog_mechanism,
            hardening,
        };
        if (guard.active)
            p.mechanisms_.insert(p.mechanisms_.begin() + 1, guard_mechanism("glassbox's processes"));
        if (guard.tripwire)
            p.mechanisms_.insert(p.mechanisms_.end() - 1, tripwire_mechanism);
        p.gaps_ = {cgroup_gap(guard) + " (--protect pidns stops this)"};
        p.gaps_.insert(p.gaps_.end(), std::begin(common_gaps), std::end(common_gaps));
        break;
    }
    case protect_mode::none:
        p.mechanisms_ = {std::string("fail-closed: ") + watchdog_mechanism, hardening};
        p.gaps_ = {"no protection: the tree can kill glassbox (then recorded and fail-closed, as above), stop it (the "
                   "watchdog continues it within 20 ms), or ptrace it and change its memory"};
        break;
    }
    return p;
}

protection protection::for_attach(const lsm_guard_state& guard, bool fail_closed) {
    protection p;
    p.mode_ = protect_mode::none;
    p.attach_mode_ = guard.active ? "guard" : "none";
    if (guard.active)
        p.mechanisms_.push_back(guard_mechanism("glassbox's processes"));
    p.mechanisms_.push_back(hardening_mechanism);
    if (guard.tripwire)
        p.mechanisms_.push_back(tripwire_mechanism);
    if (guard.tripwire && !guard.active) {
        p.mechanisms_.push_back(signal_tripwire_mechanism);
        p.mechanisms_.push_back(call_tripwire_mechanism);
    }
    if (fail_closed)
        p.mechanisms_.push_back(std::string("fail-closed (--fail-closed): ") + watchdog_mechanism);
    else
        p.mechanisms_.push_back("evidence: a watchdog outside the tree holds the recording's BPF programs and ring "
                                "buffer: if glassbox ends before the recording is over, it appends what the kernel "
                                "still holds (the attempt that ended glassbox among it) to the trace; the traced "
                                "processes go on (--fail-closed stops them)");
    std::string after_kill = fail_closed ? "recorded, and the tree is then stopped and killed"
                                         : "recorded; the tree goes on unrecorded without --fail-closed";
    if (guard.active)
        p.gaps_ = {"attach cannot fence off processes it did not start; " + cgroup_gap(guard)};
    else if (guard.detail.empty())
        p.gaps_ = {fmt::format("no protection (--protect none): a root target can kill glassbox and its watchdog ({}), "
                               "stop them, or ptrace them and change their memory",
                               after_kill)};
    else
        p.gaps_ = {fmt::format("no BPF LSM guard ({}): a root target can kill glassbox ({}); its stop signals and "
                               "ptrace calls kill it (the tripwires), but one process_vm_writev or a write to "
                               "/proc/PID/mem can still change glassbox's memory",
                               guard.detail, after_kill)};
    return p;
}

result<void> protection::build() {
    if (mode_ == protect_mode::none)
        return {};
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx)
        return std::unexpected(error{"seccomp_init failed"});
    std::unique_ptr<void, void (*)(void*)> owner(ctx, [](void* c) { seccomp_release(c); });
    // The same rules for 32-bit entry (int 0x80) and x32: libseccomp maps the names per ABI.
    for (auto arch : {SCMP_ARCH_X86, SCMP_ARCH_X32})
        if (int rc = seccomp_arch_add(ctx, arch); rc != 0 && rc != -EEXIST)
            return std::unexpected(error{fmt::format("seccomp_arch_add: {}", std::strerror(-rc))});
    auto deny = SCMP_ACT_ERRNO(EPERM);
    int rc = 0;
    for (int cmd : {bpf_prog_get_fd_by_id, bpf_map_get_fd_by_id, bpf_link_get_fd_by_id})
        rc |= seccomp_rule_add(ctx, deny, SCMP_SYS(bpf), 1, SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(cmd)));
    {
        // Calls that take a pid and that Landlock does not scope (it scopes signals and ptrace).
        for (pid_t p : guarded_) {
            auto pid = static_cast<scmp_datum_t>(p);
            for (int nr : {SCMP_SYS(prlimit64), SCMP_SYS(sched_setaffinity), SCMP_SYS(sched_setscheduler),
                           SCMP_SYS(sched_setparam), SCMP_SYS(sched_setattr)})
                rc |= seccomp_rule_add(ctx, deny, nr, 1, SCMP_A0(SCMP_CMP_EQ, pid));
            for (int nr : {SCMP_SYS(process_vm_readv), SCMP_SYS(process_vm_writev)})
                rc |= seccomp_rule_add(ctx, deny, nr, 1, SCMP_A0(SCMP_CMP_EQ, pid));
            rc |= seccomp_rule_add(ctx, deny, SCMP_SYS(ptrace), 1, SCMP_A1(SCMP_CMP_EQ, pid));
            rc |= seccomp_rule_add(ctx, deny, SCMP_SYS(setpriority), 2, SCMP_A0(SCMP_CMP_EQ, PRIO_PROCESS),
                                   SCMP_A1(SCMP_CMP_EQ, pid));
            rc |= seccomp_rule_add(ctx, deny, SCMP_SYS(ioprio_set), 2, SCMP_A0(SCMP_CMP_EQ, 1 /* WHO_PROCESS */),
                                   SCMP_A1(SCMP_CMP_EQ, pid));
        }
    }
    if (rc != 0)
        return std::unexpected(error{"seccomp_rule_add failed for the protection filter"});
    // Exported here, loaded by the child with the raw syscall: the child must not allocate.
    int mfd = static_cast<int>(::syscall(SYS_memfd_create, "glassbox-protect", MFD_CLOEXEC));
    if (mfd < 0)
        return std::unexpected(error{fmt::format("memfd_create: {}", std::strerror(errno))});
    if (int e = seccomp_export_bpf(ctx, mfd); e != 0) {
        ::close(mfd);
        return std::unexpected(error{fmt::format("seccomp_export_bpf: {}", std::strerror(-e))});
    }
    off_t len = ::lseek(mfd, 0, SEEK_END);
    filter_.resize(static_cast<std::size_t>(len > 0 ? len : 0));
    bool ok = len > 0 && ::pread(mfd, filter_.data(), filter_.size(), 0) == len;
    ::close(mfd);
    if (!ok || filter_.size() % sizeof(sock_filter) != 0)
        return std::unexpected(error{"cannot read back the protection filter"});
    return {};
}

int protection::apply_in_child() const {
    if (ruleset_fd_ >= 0) {
        if (::syscall(__NR_landlock_restrict_self, ruleset_fd_, 0) != 0)
            return errno;
        ::close(ruleset_fd_);
    }
    if (!filter_.empty()) {
        sock_fprog prog{static_cast<unsigned short>(filter_.size() / sizeof(sock_filter)),
                        reinterpret_cast<sock_filter*>(const_cast<unsigned char*>(filter_.data()))};
        if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
            return errno;
    }
    return 0;
}

void protection::harden_self() {
    std::size_t inherent = gaps_.size();
    if (!write_kernel_file("/proc/self/oom_score_adj", "-1000"))
        gaps_.push_back(fmt::format("glassbox's OOM score could not be lowered ({}): memory pressure from the tree "
                                    "could end glassbox (the recording then ends partial; its watchdog keeps what the kernel held)",
                                    std::strerror(errno)));
    std::signal(SIGXFSZ, SIG_IGN);
    auto root = cgroup2_root();
    if (!root || !to_cgroup_root(*root, ::getpid()))
        gaps_.push_back(fmt::format("glassbox could not move to the cgroup v2 root ({}): the tree could freeze or kill "
                                    "glassbox's own cgroup through cgroup.freeze / cgroup.kill",
                                    root ? std::strerror(errno) : root.error().message));
    for (std::size_t i = inherent; i < gaps_.size(); ++i)
        spdlog::warn("protection: {}", gaps_[i]);
}

void protection::move_back(std::initializer_list<pid_t> others) {
    auto root = cgroup2_root();
    std::string why = root ? std::string() : root.error().message;
    // Every one of them, even after a failure; one that is gone (ESRCH: the init once its
    // namespace is empty) has nothing to move back.
    auto move = [&](pid_t p) {
        if (root && !to_cgroup_root(*root, p) && errno != ESRCH && why.empty())
            why = fmt::format("process {}: {}", p, std::strerror(errno));
    };
    move(::getpid());
    for (pid_t p : others)
        if (p > 0)
            move(p);
    bool ok = why.empty();
    spdlog::warn("protection: the traced tree moved a glassbox process into another cgroup (recorded as "
                 "`cgroup_attach`; the mover was killed): {}",
                 ok ? "moved back to the cgroup v2 root" : "could not move back: " + why);
}

std::string protection::json() const {
    std::string_view mode = attach_mode_.empty() ? protect_mode_name(mode_) : std::string_view(attach_mode_);
    return fmt::format(R"({{"mode":"{}","mechanisms":{},"gaps":{}}})", mode, json_list(mechanisms_),
                       json_list(gaps_));
}

} // namespace glassbox::record
