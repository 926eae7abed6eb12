// The recorder (see include/glassbox/record.hpp): owns the BPF skeleton (RAII), sizes its maps,
// checks privileges and kernel support with one clear error each, fills the scope maps, attaches
// the programs, and turns ring buffer records into trace lines through the decoder.
// Data path: BPF programs -> gb_events ring buffer -> drain thread (ring_reader: copies raw
// records, nothing else) -> spool -> formatter thread (decoder -> trace_writer, live view).
// Splitting the two lets a burst run at the speed of the copy: the JSON catches up when CPU is
// free.
#include <glassbox/kernel_features.hpp>
#include <glassbox/record.hpp>

#include "glassbox_record_bpf.skel.h"
#include "glassbox_record_legacy_bpf.skel.h"
#include "record/syscall_specs.hpp"
#include "record/decode.hpp"
#include "record/ring_reader.hpp"
#include "record/spool.hpp"
#include "record/vmlinux_btf.hpp"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <set>
#include <optional>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstdarg>
#include <cstring>
#include <expected>
#include <filesystem>
#include <functional>
#include <future>
#include <fstream>
#include <mutex>
#include <thread>
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace glassbox::record {

namespace {

// The program whose load failed last, and the verifier's last words about it, read from libbpf's
// warnings: an optional program the kernel refuses is left out and the load retried without it.
std::mutex load_failure_mu;
std::string failed_program;
std::string failed_reason;

void note_load_failure(const std::string& msg) {
    std::lock_guard lock(load_failure_mu);
    if (auto at = msg.find("prog '"); at != std::string::npos) {
        auto end = msg.find('\'', at + 6);
        if (end != std::string::npos && msg.find("failed to load", end) != std::string::npos)
            failed_program = msg.substr(at + 6, end - at - 6);
        if (end != std::string::npos && msg.find("failed to find kernel BTF type ID", end) != std::string::npos) {
            failed_program = msg.substr(at + 6, end - at - 6);
            failed_reason = "the kernel has no such tracepoint";
        }
    }
    if (auto log = msg.find("-- BEGIN PROG LOAD LOG --"); log != std::string::npos) {
        // The verifier's verdict is the last line before its statistics ("processed N insns").
        std::string last;
        std::size_t pos = log;
        while (pos < msg.size()) {
            auto nl = msg.find('\n', pos);
            std::string line = msg.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
            if (line.starts_with("processed ") || line.starts_with("-- END"))
                break;
            if (!line.empty() && !line.starts_with("--"))
                last = line;
            if (nl == std::string::npos)
                break;
            pos = nl + 1;
        }
        if (!last.empty())
            failed_reason = "the verifier refused it: " + last;
    }
}

// libbpf's printf-style message as a string (the verifier log arrives as one long message:
// sized first).
std::string format_libbpf(const char* fmt_str, va_list args) {
    va_list copy;
    va_copy(copy, args);
    int n = std::vsnprintf(nullptr, 0, fmt_str, copy);
    va_end(copy);
    if (n <= 0)
        return {};
    std::string msg(static_cast<std::size_t>(n) + 1, '\0');
    va_copy(copy, args);
    std::vsnprintf(msg.data(), msg.size(), fmt_str, copy);
    va_end(copy);
    msg.resize(static_cast<std::size_t>(n));
    return msg;
}

int libbpf_to_spdlog(enum libbpf_print_level level, const char* fmt_str, va_list args) {
    spdlog::level::level_enum to = level == LIBBPF_WARN   ? spdlog::level::warn
                                   : level == LIBBPF_INFO ? spdlog::level::debug
                                                          : spdlog::level::trace;
    // libbpf sends a few thousand debug lines per load (one per CO-RE relocation): formatting
    // them only to drop them cost the start-up a few ms. Warnings are rare and always read, to
    // see which program failed and why (the load may go on without it); verifier logs are long,
    // so they go to -v and the outcome to one warning line.
    if (level != LIBBPF_WARN && !spdlog::should_log(to))
        return 0;
    std::string msg = format_libbpf(fmt_str, args);
    if (level == LIBBPF_WARN) {
        note_load_failure(msg);
        to = spdlog::level::debug;
    }
    auto n = static_cast<int>(msg.size());
    while (!msg.empty() && msg.back() == '\n')
        msg.pop_back();
    spdlog::log(to, "libbpf: {}", msg);
    return n;
}

bool has_capability(int cap) {
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (::syscall(SYS_capget, &hdr, data) != 0)
        return false;
    return (data[cap / 32].effective & (1u << (cap % 32))) != 0;
}

void check_environment() {
    if (::geteuid() != 0 && !(has_capability(39 /* CAP_BPF */) && has_capability(38 /* CAP_PERFMON */) &&
                              has_capability(CAP_SYS_ADMIN)))
        throw fatal_error(exit_code::no_permission,
                          "recording needs root (or CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN): run it with sudo");
    if (::access("/sys/kernel/btf/vmlinux", R_OK) != 0)
        throw fatal_error(exit_code::environment,
                          "the kernel has no BTF (/sys/kernel/btf/vmlinux is missing): glassbox needs "
                          "a kernel built with CONFIG_DEBUG_INFO_BTF=y");
}

struct skel_deleter {
    void operator()(glassbox_record_bpf* s) const { glassbox_record_bpf__destroy(s); }
};

// What the running kernel offers the recorder, read from its BTF before the programs are opened:
// which build of the BPF object fits, which programs of a hook whose arguments changed between
// kernels to load, and which optional programs the kernel refused (they are left out; the load is
// retried without them, and the trace's coverage says what is missing and why).
struct kernel_plan {
    bool legacy = false;          // no bpf_rdonly_cast / bpf_task_from_pid: the legacy build
    bool exit_group_dead = false; // sched_process_exit passes group_dead (6.16+)
    std::string uring_submit;     // gb_uring_submit (io_uring_submit_req), gb_uring_submit_sqe, or ""
    std::string uring_complete;   // gb_uring_complete (the CQE), gb_uring_complete_res (its fields), or ""
    std::map<std::string, std::string> refused; // optional program -> why the kernel refused it
    bool lsm_guard = false;       // the BPF LSM runs and the guard was asked for (bpf/record/guard.h)
    bool tripwire = false;        // the guard was asked for: the cgroup tripwire loads on any kernel

    static bool optional(std::string_view prog) {
        return prog.starts_with("gb_uring_") || prog.starts_with("gb_cov_process_exit") ||
               prog.starts_with("gb_guard_") || prog.starts_with("gb_tripwire_");
    }
    // The guard's programs that the kernel refused, if any (the guard is then left out whole).
    std::string guard_refused() const {
        for (const auto& [prog, why] : refused)
            if (prog.starts_with("gb_guard_"))
                return fmt::format("the kernel refused {} ({})", prog, why);
        return {};
    }
    bool uring() const {
        return !uring_submit.empty() && !uring_complete.empty() && !refused.contains(uring_submit) &&
               !refused.contains(uring_complete);
    }
    // Whether program `prog` is loaded on this kernel.
    bool wants(std::string_view prog) const {
        if (refused.contains(std::string(prog)))
            return false;
        if (prog == "gb_sched_exit" || prog == "gb_cov_process_exit")
            return exit_group_dead;
        if (prog == "gb_sched_exit_live" || prog == "gb_cov_process_exit_live")
            return !exit_group_dead;
        if (prog == "gb_uring_submit" || prog == "gb_uring_submit_sqe")
            return uring() && prog == uring_submit;
        if (prog == "gb_uring_complete" || prog == "gb_uring_complete_res")
            return uring() && prog == uring_complete;
        if (prog.starts_with("gb_guard_"))
            return lsm_guard && guard_refused().empty();
        if (prog.starts_with("gb_tripwire_"))
            return tripwire;
        return true;
    }
};

kernel_plan plan_for(const struct btf* btf) {
    kernel_plan p;
    // The same readings of the kernel's BTF as `glassbox doctor` (kernel_features.hpp).
    p.legacy = !btf_has_func(btf, "bpf_rdonly_cast") || !btf_has_func(btf, "bpf_task_from_pid") ||
               !btf_has_func(btf, "bpf_task_release");
    p.exit_group_dead = tracepoint_arg_count(btf, "sched_process_exit") >= 2;
    if (tracepoint_arg_count(btf, "io_uring_submit_req") >= 1)
        p.uring_submit = "gb_uring_submit";
    else if (tracepoint_arg_count(btf, "io_uring_submit_sqe") >= 1)
        p.uring_submit = "gb_uring_submit_sqe";
    // (ctx, req, cqe) on newer kernels; (ctx, req, user_data, res, cflags, extra1, extra2) before.
    int complete_args = tracepoint_arg_count(btf, "io_uring_complete");
    if (complete_args == 3)
        p.uring_complete = "gb_uring_complete";
    else if (complete_args >= 4)
        p.uring_complete = "gb_uring_complete_res";
    return p;
}

// Opens the build of the BPF object that fits this kernel. Both builds come from one source with
// the same maps and programs, so one skeleton type serves both: only the object's bytes differ.
glassbox_record_bpf* open_variant(bool legacy) {
    if (!legacy)
        return glassbox_record_bpf__open();
    auto* obj = static_cast<glassbox_record_bpf*>(std::calloc(1, sizeof(glassbox_record_bpf)));
    if (!obj) {
        errno = ENOMEM;
        return nullptr;
    }
    if (int err = glassbox_record_bpf__create_skeleton(obj); err != 0) {
        glassbox_record_bpf__destroy(obj);
        errno = -err;
        return nullptr;
    }
    obj->skeleton->data = const_cast<void*>(glassbox_record_legacy_bpf__elf_bytes(&obj->skeleton->data_sz));
    if (int err = bpf_object__open_skeleton(obj->skeleton, nullptr); err != 0) {
        glassbox_record_bpf__destroy(obj);
        errno = -err;
        return nullptr;
    }
    return obj;
}

// The families of events and what each needs, in the trace header's terms (docs/recording.md,
// "Kernels").
coverage coverage_of(const kernel_plan& p) {
    coverage c;
    c.variant = p.legacy ? "legacy" : "kfunc";
    auto add = [&](std::string name, std::string via, std::string degraded = {}) {
        c.families.push_back({std::move(name), true, std::move(via), std::move(degraded), {}});
    };
    add("process", "tp_btf sched_process_fork, sched_process_exec; sys_exit of execve/execveat");
    add("exit", p.exit_group_dead ? "tp_btf sched_process_exit (group_dead argument)"
                                  : "tp_btf sched_process_exit (last thread: signal->live == 0)");
    add("file", "sys_enter/sys_exit of open, openat, openat2, creat; paths from the new descriptor");
    add("file_changes", "sys_exit, table-driven (unlink, rename, link, mkdir, chmod, chown, ...)");
    add("net", "sys_enter/sys_exit of connect, bind, listen, accept, sends and receives with addresses");
    add("unix_peer", "the peer's struct pid (sk_peer_pid) and its task list");
    add("dns", "queries parsed from what is sent to port 53 (write, send*, io_uring send)");
    add("signals", p.legacy ? "sys_exit of kill, tkill, tgkill, pidfd_send_signal" : "sys_exit of kill, tkill, tgkill, pidfd_send_signal; target named with bpf_task_from_pid",
        p.legacy ? "the target's executable is named from /proc when the record is read (no "
                   "bpf_task_from_pid on this kernel): a pid reused meanwhile would be misnamed"
                 : "");
    add("privileged", "sys_exit, table-driven (mount, module, bpf, ptrace, setuid, capabilities, ...)",
        p.legacy ? "ptrace targets are named from /proc when the record is read (no bpf_task_from_pid)" : "");
    add("abi32", "sys_enter/sys_exit of syscalls entered through int 0x80 (i386 numbers)");
    const std::string exit_totals = p.exit_group_dead ? "gb_cov_process_exit" : "gb_cov_process_exit_live";
    if (p.wants(exit_totals))
        add("io_totals", "per-descriptor byte counts, reported at close and at process exit");
    else // wants() is false for this program only when the kernel refused it
        c.families.push_back({"io_totals", false, {}, {},
                              "descriptors still open at exit are not reported: " + p.refused.at(exit_totals)});
    if (p.uring()) {
        add("io_uring", "tp_btf " + std::string(p.uring_submit == "gb_uring_submit" ? "io_uring_submit_req"
                                                                               : "io_uring_submit_sqe") +
                            (p.uring_complete == "gb_uring_complete" ? ", io_uring_complete (CQE)"
                                                                     : ", io_uring_complete (result argument)"));
    } else {
        std::string why;
        if (p.uring_submit.empty() || p.uring_complete.empty())
            why = "the kernel has no io_uring submit/complete tracepoints of a known shape";
        else if (auto it = p.refused.find(p.uring_submit); it != p.refused.end())
            why = it->second;
        else if (auto it2 = p.refused.find(p.uring_complete); it2 != p.refused.end())
            why = it2->second;
        c.families.push_back({"io_uring", false, {}, {},
                              why + ": operations submitted through io_uring are not recorded"});
    }
    return c;
}

} // namespace

bool coverage::complete() const {
    return std::all_of(families.begin(), families.end(),
                       [](const coverage_family& f) { return f.observed && f.degraded.empty(); });
}

std::vector<std::string> coverage::gaps() const {
    std::vector<std::string> out;
    for (const auto& f : families) {
        if (!f.observed)
            out.push_back(fmt::format("{}: not observed on this kernel: {}", f.name, f.reason));
        else if (!f.degraded.empty())
            out.push_back(fmt::format("{}: degraded on this kernel: {}", f.name, f.degraded));
    }
    return out;
}

std::string coverage::json() const {
    json_line o;
    o.str("variant", variant).boolean("complete", complete());
    std::string fam = "{";
    bool first = true;
    for (const auto& f : families) {
        json_line l;
        l.boolean("observed", f.observed);
        if (f.observed)
            l.str("via", f.via);
        if (!f.degraded.empty())
            l.str("degraded", f.degraded);
        if (!f.observed)
            l.str("reason", f.reason);
        fam += first ? "" : ",";
        append_json_string(fam, f.name);
        fam += ':';
        fam += l.finish();
        first = false;
    }
    fam += "}";
    o.raw("families", fam);
    return o.finish();
}

struct recorder::impl {
    std::unique_ptr<glassbox_record_bpf, skel_deleter> skel;
    // The second instance of the object, holding gb_sys_exit alone on skel's maps (see
    // load_split()); null when skel loaded everything.
    std::unique_ptr<glassbox_record_bpf, skel_deleter> second;
    std::unique_ptr<decoder> dec;
    std::unique_ptr<spool> sp;
    struct coverage cov;
    lsm_guard_state guard;
    std::optional<ring_reader> reader;
    std::size_t spool_memory = 64u << 20;
    trace_writer* out = nullptr;
    std::function<void(const event_view&)> on_event;
    std::atomic<std::uint64_t> records{0};
    std::atomic<std::uint64_t> captured{0}; // drained from the ring (the formatter may lag)
    std::atomic<std::uint64_t> decode_errors{0};
    int ncpus = 1;
    std::string human;
    json_line line;
    // Executables of the processes put in scope before start (attach targets), read while they
    // are certainly alive: the decoder may see their first record after they are gone.
    std::vector<std::pair<std::uint32_t, std::optional<std::string>>> seeded_exe;
    // Guards the decoder and the writer calls: the formatter thread, and enforcement appending
    // lines from its own thread.
    mutable std::mutex mu;

    // The two threads (started by the first poll(), after the trace header is written).
    std::thread drainer;
    std::thread formatter;
    std::atomic<bool> stop{false};
    // drain(): request generation, and the last generation the drain thread completed a full
    // ring consume for.
    std::atomic<std::uint64_t> drain_req{0};
    std::uint64_t drain_done = 0; // under drain_mu
    std::mutex drain_mu;
    std::condition_variable drain_cv;
    std::uint64_t polled_records = 0; // poll()'s last view of `records`
    std::uint64_t view_errors = 0;    // formatter thread only
    pid_t formatter_tid = 0; // under drain_mu
    // drain() was called: the recording is ending (set under drain_mu, with the formatter's
    // priority; read by the drain thread without it).
    std::atomic<bool> ending{false};

    ~impl() { stop_threads(); }

    void drain_loop() {
        // Above the traced program and the formatter: on a loaded machine a drain thread at
        // nice 0 fell behind the ring and records were lost to overruns; it only copies, and
        // sleeps when the ring is empty (docs/performance.md, "Durability window").
        ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), -10);
        std::uint64_t done = 0;
        while (!stop.load(std::memory_order_relaxed)) {
            // Sleep unless drain() is waiting for a pass. The BPF side wakes us only when a
            // backlog builds up (GB_WAKEUP_BYTES); otherwise the timeout paces the passes.
            if (drain_req.load(std::memory_order_acquire) == done) {
                reader->wait(10);
            }
            // A request made from here on is answered by the next pass.
            std::uint64_t gen = drain_req.load(std::memory_order_acquire);
            std::size_t n = reader->consume([this](std::span<const std::uint8_t> rec) { sp->append(rec); });
            captured.fetch_add(n, std::memory_order_relaxed);
            bool winding_down = ending.load(std::memory_order_acquire);
            // A chunk to continue in, so that the publish keeps these records in memory (early
            // in a recording none is ready yet; ~6 ms of page faults, which the ring absorbs).
            // Not once drain() was called: the last records may as well go through the spill
            // file, which is quicker than faulting in a chunk that nothing will fill.
            if (n > 0 && !winding_down)
                sp->refill(1);
            sp->publish();
            bound_formatter_lag(winding_down);
            done = gen;
            {
                std::lock_guard lock(drain_mu);
                drain_done = gen;
                drain_cv.notify_all();
            }
            // An idle pass faults in one spare chunk while fewer are ready than the spool keeps
            // (~6 ms each on the lab VM): the spares are ready early in a recording, without
            // delaying the traced command's start, a drain() that is waiting, or the end (once
            // drain() was called the recording is ending and the spares are not needed).
            if (n == 0 && !winding_down && !stop.load(std::memory_order_relaxed) &&
                drain_req.load(std::memory_order_acquire) == done)
                sp->refill();
        }
    }

    // Records waiting in the spool are in memory only: a killed glassbox loses them. When the
    // oldest has waited longer than the durability window allows, the formatter leaves nice 19
    // for nice -5 until it has caught up (docs/recording.md, "Durability"): at nice 0 it got only
    // a fair share of a loaded machine and the lag kept growing. Below the drain thread, which
    // must keep the ring from overflowing.
    bool formatter_boosted = false; // drain thread only
    void bound_formatter_lag(bool winding_down) {
        constexpr std::int64_t max_wait_ns = 100'000'000;
        if (winding_down)
            return; // drain_all() set normal priority for good
        std::int64_t wait = sp->oldest_wait_ns();
        bool boost = wait > max_wait_ns;
        if (boost == formatter_boosted || (!boost && wait > 0))
            return; // unchanged, or still catching up
        std::lock_guard lock(drain_mu);
        if (!formatter_tid || ending || on_event)
            return; // a live view already runs at normal priority
        ::setpriority(PRIO_PROCESS, static_cast<id_t>(formatter_tid), boost ? -5 : 19);
        formatter_boosted = boost;
    }

    void format_loop() {
        for (;;) {
            sp->consume(50, [this](std::span<const std::uint8_t> rec) {
                try {
                    handle(rec);
                } catch (const std::exception& e) {
                    // A live view that cannot print (closed stderr) must not end the recording.
                    if (view_errors++ < 3)
                        spdlog::error("handling a record failed: {}", e.what());
                }
            });
            if (stop.load(std::memory_order_acquire) && sp->empty())
                break;
        }
    }

    void start_threads() {
        if (drainer.joinable())
            return;
        // The threads take no signals (the session reads them from a signalfd in the main
        // thread): block everything while they are created, so they inherit that mask.
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        bool live = static_cast<bool>(on_event);
        drainer = std::thread([this] { drain_loop(); });
        formatter = std::thread([this, live] {
            // Without a live view nobody waits for the lines: format with the CPU the traced
            // command leaves over (the raw records are safe in the spool meanwhile).
            {
                std::lock_guard lock(drain_mu);
                if (!live && !ending)
                    ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 19);
                formatter_tid = ::gettid();
            }
            format_loop();
        });
        pthread_sigmask(SIG_SETMASK, &old, nullptr);
    }

    void stop_threads() {
        if (!drainer.joinable())
            return;
        stop.store(true, std::memory_order_release);
        reader->wake();
        drainer.join();
        sp->publish();
        sp->wake();
        formatter.join();
    }

    // Every record in the ring now is formatted when this returns.
    void drain_all() {
        start_threads();
        // The recording is ending and waits for the lines: format at normal priority now (on a
        // busy machine nice 19 would make the end wait for everyone else's work).
        {
            std::lock_guard lock(drain_mu);
            ending = true;
            if (formatter_tid)
                ::setpriority(PRIO_PROCESS, static_cast<id_t>(formatter_tid), 0);
        }
        std::uint64_t gen = drain_req.fetch_add(1, std::memory_order_acq_rel) + 1;
        reader->wake(); // the pass after this request need not wait for its timeout
        {
            std::unique_lock lock(drain_mu);
            drain_cv.wait(lock, [&] { return drain_done >= gen; });
        }
        std::uint64_t target = sp->published();
        while (!sp->wait_consumed(target, 1000))
            spdlog::debug("waiting for the formatter to catch up");
    }

    void handle(std::span<const std::uint8_t> rec) {
        std::lock_guard lock(mu);
        records.fetch_add(1, std::memory_order_relaxed);
        line.clear(); // one buffer for every record: no allocation per event
        auto r = dec->decode(rec, line, human);
        if (!r) {
            if (decode_errors.fetch_add(1, std::memory_order_relaxed) < 10)
                spdlog::warn("skipping a malformed kernel record: {}", r.error().message);
            return;
        }
        // With its ts: a line formatted late is due to be written at once, not 100 ms later.
        out->write_event(r->type, line.text(), dec->last_ts());
        if (on_event) {
            gb_event_header h;
            std::memcpy(&h, rec.data(), sizeof(h));
            event_view v;
            v.type = r->type;
            v.ts = dec->last_ts();
            v.pid = h.pid;
            v.tid = h.tid;
            v.comm = std::string_view(h.comm, strnlen(h.comm, GB_COMM_LEN));
            v.text = &human;
            v.failed = r->failed;
            v.json = &line.text();
            on_event(v);
        }
    }
};

namespace {

using skel_ptr = std::unique_ptr<glassbox_record_bpf, skel_deleter>;

// The program loaded by the second instance of the object (see load_split()): the largest, about
// half of all verification.
constexpr const char* split_program = "gb_sys_exit";

// Creates every map of `skel` as libbpf would (type, sizes, flags; the global-data maps with
// their initial contents, frozen when read-only; BTF where the kernel requires it: task storage),
// so that two instances of the object can share them. Returns name -> fd, or an error message.
std::expected<std::vector<std::pair<std::string, int>>, std::string> create_maps(glassbox_record_bpf& skel) {
    std::vector<std::pair<std::string, int>> fds;
    auto fail = [&](std::string why) {
        for (auto& [n, fd] : fds)
            ::close(fd);
        return std::unexpected(std::move(why));
    };
    // The object's own BTF, loaded into the kernel (a copy: libbpf loads the original itself).
    const struct btf* obj_btf = bpf_object__btf(skel.obj);
    std::unique_ptr<struct btf, decltype(&btf__free)> kbtf(nullptr, &btf__free);
    struct bpf_map* m;
    bpf_object__for_each_map(m, skel.obj) {
        LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = bpf_map__map_flags(m));
        if (bpf_map__type(m) == BPF_MAP_TYPE_TASK_STORAGE) {
            if (!kbtf && obj_btf) {
                __u32 size = 0;
                const void* raw = btf__raw_data(obj_btf, &size);
                kbtf.reset(btf__new(raw, size));
                if (!kbtf || btf__load_into_kernel(kbtf.get()) != 0)
                    return fail("the object's BTF could not be loaded");
            }
            if (!kbtf)
                return fail("the object has no BTF");
            o.btf_fd = btf__fd(kbtf.get());
            o.btf_key_type_id = bpf_map__btf_key_type_id(m);
            o.btf_value_type_id = bpf_map__btf_value_type_id(m);
        }
        int fd = bpf_map_create(bpf_map__type(m), bpf_map__name(m), bpf_map__key_size(m),
                                bpf_map__value_size(m), bpf_map__max_entries(m), &o);
        if (fd < 0)
            return fail(fmt::format("map {}: {}", bpf_map__name(m), std::strerror(errno)));
        fds.emplace_back(bpf_map__name(m), fd);
        if (bpf_map__is_internal(m)) {
            size_t size = 0;
            const void* init = bpf_map__initial_value(m, &size);
            __u32 zero = 0;
            if (init && bpf_map_update_elem(fd, &zero, init, BPF_ANY) != 0)
                return fail(fmt::format("map {}: {}", bpf_map__name(m), std::strerror(errno)));
            if ((bpf_map__map_flags(m) & BPF_F_RDONLY_PROG) && bpf_map_freeze(fd) != 0)
                return fail(fmt::format("map {}: {}", bpf_map__name(m), std::strerror(errno)));
        }
    }
    return fds;
}

bool reuse_maps(glassbox_record_bpf& skel, const std::vector<std::pair<std::string, int>>& fds) {
    for (const auto& [name, fd] : fds) {
        struct bpf_map* m = bpf_object__find_map_by_name(skel.obj, name.c_str());
        if (!m || bpf_map__reuse_fd(m, fd) != 0)
            return false;
    }
    return true;
}

// A program the recording cannot do without was refused: name it, with the verifier's last line
// (what `glassbox doctor` repeats), so the one error line says what the kernel lacks.
[[noreturn]] void refused(int err) {
    std::string what = fmt::format("programs ({})", std::strerror(-err));
    {
        std::lock_guard lock(load_failure_mu);
        if (!failed_program.empty())
            what = fmt::format("program {} ({})", failed_program,
                               failed_reason.empty() ? std::strerror(-err) : failed_reason);
    }
    throw fatal_error(exit_code::environment,
                      fmt::format("the kernel refused glassbox's BPF {}; run with -v for the verifier log", what));
}

// Start-up (docs/recording.md "Start-up") on both CPUs. One libbpf object loads its programs one
// after the other, each after parsing the kernel's BTF, creating the maps and relocating: ~150 ms
// before the traced command may start. Here the object is opened twice: `main` loads every
// program but gb_sys_exit, `second` loads gb_sys_exit alone, on the same maps (created once
// beforehand, bpf_map__reuse_fd) and with one parsed copy of the kernel's BTF (parsed on a helper
// thread while this one creates the maps, handed to libbpf through btf__load_vmlinux_btf()). The
// two verifications and relocations then run side by side. If the maps cannot be made ahead or
// taken by both instances, `main` loads everything alone, as libbpf normally does.
// Sets each program of `s` to load as `plan` says (and, when split_only is given, only the split
// program or only the others).
void select_programs(glassbox_record_bpf& s, const kernel_plan& plan, std::optional<bool> split_only = {}) {
    struct bpf_program* prog;
    bpf_object__for_each_program(prog, s.obj) {
        const char* name = bpf_program__name(prog);
        bool split = std::strcmp(name, split_program) == 0;
        bpf_program__set_autoload(prog, plan.wants(name) && (!split_only || split == *split_only));
    }
}

// A load failed: the error, or 0 after noting an optional program to leave out next time.
int leave_out_refused(int err, kernel_plan& plan) {
    std::lock_guard lock(load_failure_mu);
    if (err == 0 || failed_program.empty() || !kernel_plan::optional(failed_program) ||
        plan.refused.contains(failed_program))
        return err;
    std::string why = failed_reason.empty() ? fmt::format("the kernel refused it ({})", std::strerror(-err))
                                            : failed_reason;
    spdlog::warn("this kernel refused the optional BPF program {} ({}); recording without it",
                 failed_program, why);
    plan.refused.emplace(failed_program, why);
    failed_program.clear();
    failed_reason.clear();
    return 0;
}

// Loads `main` (and maybe a second instance, see below). Returns the error of a failed load
// (negative errno), with `second` unset.
int load_split(glassbox_record_bpf& main, const std::function<void(glassbox_record_bpf&)>& configure,
               const kernel_plan& plan, skel_ptr& second_out, bool btf_parsed) {
    {
        std::lock_guard lock(load_failure_mu);
        failed_program.clear();
        failed_reason.clear();
    }
    // GLASSBOX_ONE_PASS_LOAD=1: libbpf's plain path, one instance loading every program (a
    // diagnostic switch, and what the tests compare the two-instance load against).
    if (const char* one = std::getenv("GLASSBOX_ONE_PASS_LOAD"); one && std::strcmp(one, "1") == 0) {
        spdlog::debug("loading the BPF programs in one pass: GLASSBOX_ONE_PASS_LOAD=1");
        select_programs(main, plan);
        int err = glassbox_record_bpf__load(&main);
        end_vmlinux_btf_share();
        return err;
    }
    // The helper parses the BTF for both instances, then loads `second` if told to. Nothing
    // below throws before it is joined.
    std::promise<bool> go;
    skel_ptr second;
    int second_err = 0;
    if (!btf_parsed)
        announce_vmlinux_btf_share(2);
    std::thread helper;
    using ms = std::chrono::duration<double, std::milli>;
    const auto t0 = std::chrono::steady_clock::now();
    ms second_took{};
    try {
        helper = std::thread([&, go_later = go.get_future()]() mutable {
            if (!btf_parsed)
                parse_vmlinux_btf_share();
            if (go_later.get()) {
                second_err = glassbox_record_bpf__load(second.get());
                second_took = std::chrono::steady_clock::now() - t0;
            }
        });
    } catch (...) {
        end_vmlinux_btf_share(); // no parse is coming: libbpf must not wait for one
        throw;
    }
    std::expected<std::vector<std::pair<std::string, int>>, std::string> fds;
    second.reset(open_variant(plan.legacy));
    if (!second) {
        fds = std::unexpected(fmt::format("cannot open the BPF programs twice: {}", std::strerror(errno)));
    } else {
        configure(*second);
        // Which programs an instance loads: the split one only, or all others.
        select_programs(main, plan, false);
        select_programs(*second, plan, true);
        fds = create_maps(main);
    }
    bool split = fds.has_value() && reuse_maps(*second, *fds) && reuse_maps(main, *fds);
    if (fds.has_value())
        for (auto& [n, fd] : *fds)
            ::close(fd); // each instance keeps its own duplicate
    if (!split) {
        spdlog::debug("loading the BPF programs in one pass: {}",
                      fds.has_value() ? "a map was not taken" : fds.error());
        select_programs(main, plan);
    }
    go.set_value(split);
    const ms maps_took = std::chrono::steady_clock::now() - t0;
    int err = glassbox_record_bpf__load(&main);
    const ms main_took = std::chrono::steady_clock::now() - t0;
    helper.join();
    end_vmlinux_btf_share();
    if (split)
        spdlog::debug("BPF programs loaded: maps ready at {:.0f} ms, main instance done at {:.0f} ms, "
                      "second at {:.0f} ms",
                      maps_took.count(), main_took.count(), second_took.count());
    else
        spdlog::debug("BPF programs loaded in one pass in {:.0f} ms", main_took.count());
    if (err != 0)
        return err;
    if (!split)
        return 0; // `main` loaded everything
    if (second_err != 0)
        return second_err;
    second_out = std::move(second);
    return 0;
}

} // namespace

namespace {

// The LSM guard refuses the tree a descriptor for any of the recorder's own programs, maps and
// links, by id (bpf/record/guard.h, gb_guard_bpf); the ids exist once the object is loaded and,
// for links, attached.
void guard_own_ids(recorder::impl& im) {
    constexpr __u64 prog_cmd = 13, map_cmd = 14, link_cmd = 30; // BPF_*_GET_FD_BY_ID
    int ids_fd = bpf_map__fd(im.skel->maps.gb_guarded_ids);
    auto add = [&](__u64 cmd, int fd) {
        if (fd < 0)
            return;
        struct bpf_prog_info info {}; // every *_info struct starts with type and id
        __u32 len = sizeof(info);
        if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0)
            return;
        __u64 key = cmd << 32 | info.id;
        __u8 one = 1;
        if (bpf_map_update_elem(ids_fd, &key, &one, BPF_ANY) != 0)
            spdlog::warn("protection: the LSM guard cannot protect BPF object {}: {}", info.id, std::strerror(errno));
    };
    for (auto* s : {im.skel.get(), im.second.get()}) {
        if (!s)
            continue;
        struct bpf_map* m;
        bpf_object__for_each_map(m, s->obj) add(map_cmd, bpf_map__fd(m));
        for (int i = 0; i < s->skeleton->prog_cnt; ++i) {
            add(prog_cmd, bpf_program__fd(*s->skeleton->progs[i].prog));
            if (struct bpf_link* l = *s->skeleton->progs[i].link)
                add(link_cmd, bpf_link__fd(l));
        }
    }
}

} // namespace

recorder::recorder(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
recorder::~recorder() = default;

void recorder::stop() { impl_->stop_threads(); }

std::unique_ptr<recorder> recorder::create(const recorder_options& opts) {
    check_environment();
    use_fast_vmlinux_btf();
    libbpf_set_print(libbpf_to_spdlog);
    auto p = std::make_unique<impl>();
    // The kernel's BTF, parsed once: for the plan here and for both loads below.
    announce_vmlinux_btf_share(3);
    parse_vmlinux_btf_share();
    kernel_plan plan;
    if (struct btf* kbtf = btf__load_vmlinux_btf()) {
        plan = plan_for(kbtf);
        plan.tripwire = opts.lsm_guard;
        if (opts.lsm_guard) {
            // The same probe as `glassbox doctor`: a kernel without the BPF LSM (or one that
            // refuses it, like a VM with fentry/LSM off) records without the guard, and says so.
            feature lsm = probe_bpf_lsm(kbtf, true);
            plan.lsm_guard = lsm.present();
            if (!plan.lsm_guard)
                p->guard.detail = lsm.detail;
        }
        btf__free(kbtf); // the share keeps it for the loads
    } else {
        end_vmlinux_btf_share();
        throw fatal_error(exit_code::environment,
                          fmt::format("cannot read the kernel's BTF (/sys/kernel/btf/vmlinux): {}", std::strerror(errno)));
    }
    spdlog::debug("kernel plan: {} build, sched_process_exit {} group_dead, io_uring via {}",
                  plan.legacy ? "legacy" : "kfunc", plan.exit_group_dead ? "with" : "without",
                  plan.uring() ? plan.uring_submit : std::string("nothing"));
    p->ncpus = libbpf_num_possible_cpus();
    if (p->ncpus <= 0)
        p->ncpus = 1;
    std::size_t rb = opts.ringbuf_bytes;
    if (rb < 4096 || (rb & (rb - 1)) != 0)
        throw fatal_error(exit_code::usage, "the ring buffer size must be a power of two of at least 4 KiB");
    p->spool_memory = opts.spool_memory_bytes;
    const auto ncpus = static_cast<__u32>(p->ncpus);
    auto configure = [rb, ncpus](glassbox_record_bpf& s) {
        bpf_map__set_max_entries(s.maps.gb_events, static_cast<__u32>(rb));
        bpf_map__set_max_entries(s.maps.gb_event_scratch, ncpus);
        bpf_map__set_max_entries(s.maps.gb_path_scratch, ncpus);
    };
    // An optional program the kernel refuses is left out, and the load tried again without it.
    for (bool first = true;; first = false) {
        p->second.reset();
        p->skel.reset(open_variant(plan.legacy));
        if (!p->skel) {
            end_vmlinux_btf_share();
            throw fatal_error(exit_code::environment,
                              fmt::format("cannot open the BPF programs: {}", std::strerror(errno)));
        }
        configure(*p->skel);
        int err = load_split(*p->skel, configure, plan, p->second, first);
        if (err == 0)
            break;
        if (leave_out_refused(err, plan) != 0)
            refused(err);
    }
    end_vmlinux_btf_share();
    p->cov = coverage_of(plan);
    if (plan.lsm_guard) {
        p->guard.detail = plan.guard_refused();
        p->guard.active = p->guard.detail.empty();
    }
    p->guard.tripwire = plan.wants("gb_tripwire_cgroup");
    if (opts.require_complete && !p->cov.complete())
        throw fatal_error(exit_code::environment,
                          fmt::format("coverage is not complete on this kernel and --require-complete-coverage "
                                      "was given: {}",
                                      fmt::join(p->cov.gaps(), "; ")));
    // Issue 3's syscall table: which argument of which syscall is what (bpf/record/syscalls.h).
    if (auto t = load_coverage_tables(bpf_map__fd(p->skel->maps.gb_sys_specs),
                                      bpf_map__fd(p->skel->maps.gb_abi32_nr));
        !t)
        throw fatal_error(exit_code::environment, t.error().message);
    return std::unique_ptr<recorder>(new recorder(std::move(p)));
}

namespace {
std::optional<std::string> proc_exe(pid_t pid) {
    char buf[4096];
    std::string link = fmt::format("/proc/{}/exe", pid);
    ssize_t n = ::readlink(link.c_str(), buf, sizeof(buf));
    if (n <= 0)
        return std::nullopt;
    return std::string(buf, static_cast<std::size_t>(n));
}
} // namespace

void recorder::scope_cgroup(const cgroup_dir& cg) {
    for (pid_t p : cg.pids())
        impl_->seeded_exe.emplace_back(static_cast<std::uint32_t>(p), proc_exe(p));
    __u32 key = 0;
    __u32 fd = static_cast<__u32>(cg.fd());
    if (bpf_map__update_elem(impl_->skel->maps.gb_scope_cgroup, &key, sizeof(key), &fd, sizeof(fd), BPF_ANY) != 0)
        throw fatal_error(exit_code::environment,
                          fmt::format("cannot scope the recorder to {}: {}", cg.path(), std::strerror(errno)));
}

void recorder::scope_pid(pid_t pid) {
    impl_->seeded_exe.emplace_back(static_cast<std::uint32_t>(pid), proc_exe(pid));
    __u32 key = static_cast<__u32>(pid);
    __u8 one = 1;
    if (bpf_map__update_elem(impl_->skel->maps.gb_scope_pids, &key, sizeof(key), &one, sizeof(one), BPF_ANY) != 0)
        throw fatal_error(exit_code::internal, fmt::format("cannot add pid {} to the scope: {}", pid, std::strerror(errno)));
}

void recorder::start(trace_writer& out, std::int64_t start_mono_ns) {
    impl_->out = &out;
    impl_->dec = std::make_unique<decoder>(start_mono_ns);
    impl_->dec->want_human(static_cast<bool>(impl_->on_event));
    for (auto& [pid, exe] : impl_->seeded_exe)
        impl_->dec->set_exe(pid, exe);
    auto dir = std::filesystem::path(out.path()).parent_path(); // the spill file's place
    if (dir.empty())
        dir = ".";
    impl_->sp = std::make_unique<spool>(dir.string(), impl_->spool_memory);
    auto reader = ring_reader::open(bpf_map__fd(impl_->skel->maps.gb_events),
                                    bpf_map__max_entries(impl_->skel->maps.gb_events));
    if (!reader)
        throw fatal_error(exit_code::environment, reader.error().message);
    impl_->reader.emplace(std::move(*reader));
    int err = glassbox_record_bpf__attach(impl_->skel.get());
    if (err == 0 && impl_->second)
        err = glassbox_record_bpf__attach(impl_->second.get());
    if (err != 0)
        throw fatal_error(exit_code::environment,
                          fmt::format("cannot attach glassbox's BPF programs to the tracepoints: {}",
                                      std::strerror(-err)));
    if (impl_->guard.active)
        guard_own_ids(*impl_);
    if (impl_->guard.tripwire && !impl_->guard.active) {
        // Without the guard, ptrace and process_vm_* on glassbox kill their caller
        // (bpf/record/guard.h, the call tripwire).
        __u32 zero = 0, one = 1;
        if (bpf_map__update_elem(impl_->skel->maps.gb_call_tripwire, &zero, sizeof zero, &one, sizeof one, BPF_ANY) != 0)
            spdlog::warn("cannot set the call tripwire: {}", std::strerror(errno));
    }
}

int recorder::poll(int timeout_ms) {
    // The threads do the work; the caller's loop only needs the pace and the count.
    impl_->start_threads();
    if (timeout_ms > 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));
    std::uint64_t now = impl_->records.load(std::memory_order_relaxed);
    auto n = static_cast<int>(now - impl_->polled_records);
    impl_->polled_records = now;
    return n;
}

void recorder::drain() {
    if (impl_->reader)
        impl_->drain_all();
}

std::size_t recorder::scope_size() const {
    int fd = bpf_map__fd(impl_->skel->maps.gb_scope_pids);
    __u32 key = 0, next = 0;
    std::size_t n = 0;
    void* prev = nullptr;
    std::vector<__u32> stale;
    while (bpf_map_get_next_key(fd, prev, &next) == 0) {
        // An entry whose process no longer exists (its exit was not seen: it was already gone
        // when it was added) must not keep the recording alive.
        if (::kill(static_cast<pid_t>(next), 0) != 0 && errno == ESRCH)
            stale.push_back(next);
        else
            ++n;
        key = next;
        prev = &key;
    }
    for (__u32 s : stale)
        bpf_map_delete_elem(fd, &s);
    return n;
}

int recorder::scope_map_fd() const { return bpf_map__fd(impl_->skel->maps.gb_scope_pids); }

void recorder::stop_tree_when_gone() {
    __u32 zero = 0;
    gb_life l{static_cast<__u32>(::getpid()), 0};
    if (bpf_map__update_elem(impl_->skel->maps.gb_life, &zero, sizeof zero, &l, sizeof l, BPF_ANY) != 0)
        spdlog::warn("cannot tell the kernel to stop the tree if glassbox dies: {}", std::strerror(errno));
}

recording_handles recorder::watch_handles() const {
    recording_handles h;
    h.ring_fd = bpf_map__fd(impl_->skel->maps.gb_events);
    h.ring_size = bpf_map__max_entries(impl_->skel->maps.gb_events);
    for (const auto* skel : {impl_->skel.get(), impl_->second.get()}) {
        if (!skel)
            continue;
        const bpf_object_skeleton* s = skel->skeleton;
        for (int i = 0; i < s->prog_cnt; ++i) {
            const auto* p = reinterpret_cast<const bpf_prog_skeleton*>(reinterpret_cast<const char*>(s->progs) +
                                                                       static_cast<std::size_t>(i) * s->prog_skel_sz);
            if (p->link && *p->link && bpf_link__fd(*p->link) >= 0)
                h.link_fds.push_back(bpf_link__fd(*p->link));
        }
    }
    return h;
}

const lsm_guard_state& recorder::lsm_guard() const { return impl_->guard; }

std::uint64_t recorder::guarded_moves() const {
    if (!impl_->guard.tripwire)
        return 0; // nothing counts moves: no map read every tick of the loop
    __u32 zero = 0;
    __u64 hits = 0;
    bpf_map__lookup_elem(impl_->skel->maps.gb_tripwire_hits, &zero, sizeof(zero), &hits, sizeof(hits), 0);
    return hits;
}

void recorder::lsm_guard_pid(pid_t pid) {
    if (!impl_->guard.active && !impl_->guard.tripwire)
        return; // no program reads gb_guarded
    __u32 key = static_cast<__u32>(pid);
    __u8 one = 1;
    if (bpf_map__update_elem(impl_->skel->maps.gb_guarded, &key, sizeof(key), &one, sizeof(one), BPF_ANY) != 0)
        throw fatal_error(exit_code::internal,
                          fmt::format("cannot guard glassbox's process {}: {}", pid, std::strerror(errno)));
}

std::vector<pid_t> recorder::scope_pids() const {
    int fd = bpf_map__fd(impl_->skel->maps.gb_scope_pids);
    __u32 key = 0, next = 0;
    void* prev = nullptr;
    std::vector<pid_t> out;
    while (bpf_map_get_next_key(fd, prev, &next) == 0) {
        out.push_back(static_cast<pid_t>(next));
        key = next;
        prev = &key;
    }
    return out;
}

loss_counts recorder::lost() const {
    loss_counts lc;
    lc.by_cpu.assign(static_cast<std::size_t>(impl_->ncpus), 0);
    int fd = bpf_map__fd(impl_->skel->maps.gb_lost);
    std::vector<__u64> per_cpu(static_cast<std::size_t>(impl_->ncpus));
    for (__u32 slot = 0; slot < 64; ++slot) {
        if (bpf_map_lookup_elem(fd, &slot, per_cpu.data()) != 0)
            continue;
        std::uint64_t kind_total = 0;
        for (int c = 0; c < impl_->ncpus; ++c) {
            lc.by_cpu[static_cast<std::size_t>(c)] += per_cpu[static_cast<std::size_t>(c)];
            kind_total += per_cpu[static_cast<std::size_t>(c)];
        }
        if (kind_total) {
            std::string name = slot < GB_EV_MAX ? std::string(event_kind_name(static_cast<gb_event_kind>(slot)))
                                                : fmt::format("kind_{}", slot);
            lc.by_type[name] += kind_total;
        }
        lc.total += kind_total;
    }
    // Program runs the kernel skipped because the same program was already running on that
    // CPU (recursion): their events are lost too. Not attributable to a CPU or a kind.
    bpf_program* prog;
    std::uint64_t misses = 0;
    for (glassbox_record_bpf* s : {impl_->skel.get(), impl_->second.get()}) {
        if (!s)
            continue;
        bpf_object__for_each_program(prog, s->obj) {
            bpf_prog_info info{};
            __u32 len = sizeof(info);
            if (bpf_program__fd(prog) >= 0 &&
                bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) == 0)
                misses += info.recursion_misses;
        }
    }
    if (misses) {
        lc.total += misses;
        lc.by_type["recursion"] += misses;
    }
    // Records that reached user space but could not be decoded are lost evidence as well.
    if (std::uint64_t bad = impl_->decode_errors.load()) {
        lc.total += bad;
        lc.by_type["malformed"] += bad;
    }
    // Spooled records that could not be read back from the temporary file.
    if (std::uint64_t gone = impl_->sp ? impl_->sp->lost_records() : 0) {
        lc.total += gone;
        lc.by_type["spool"] += gone;
    }
    return lc;
}

std::uint64_t recorder::truncated_paths() const {
    std::lock_guard lock(impl_->mu);
    return impl_->dec ? impl_->dec->truncated_paths() : 0;
}
std::uint64_t recorder::truncated_argv() const {
    std::lock_guard lock(impl_->mu);
    return impl_->dec ? impl_->dec->truncated_argv() : 0;
}
const struct coverage& recorder::coverage() const { return impl_->cov; }
std::uint64_t recorder::records() const { return impl_->records.load(); }
std::uint64_t recorder::captured() const { return impl_->captured.load(); }
std::int64_t recorder::last_ts() const {
    std::lock_guard lock(impl_->mu);
    return impl_->dec ? impl_->dec->last_ts() : 0;
}
void recorder::on_event(std::function<void(const event_view&)> cb) {
    std::lock_guard lock(impl_->mu);
    impl_->on_event = std::move(cb);
    if (impl_->dec)
        impl_->dec->want_human(static_cast<bool>(impl_->on_event));
}

void recorder::append_event(std::string_view type, pid_t pid, const std::function<void(json_line&)>& fill) {
    if (!impl_->out || !impl_->dec)
        return;
    std::lock_guard lock(impl_->mu);
    json_line line;
    std::int64_t ts = monotonic_ns() - impl_->dec->start_ns();
    std::string comm;
    std::uint32_t ppid = 0, uid = 0, euid = 0;
    {
        std::ifstream c(fmt::format("/proc/{}/comm", pid));
        std::getline(c, comm);
        std::ifstream st(fmt::format("/proc/{}/status", pid));
        std::string l;
        while (std::getline(st, l)) {
            if (l.starts_with("PPid:"))
                ppid = static_cast<std::uint32_t>(std::strtoul(l.c_str() + 5, nullptr, 10));
            else if (l.starts_with("Uid:")) {
                char* end = nullptr;
                uid = static_cast<std::uint32_t>(std::strtoul(l.c_str() + 4, &end, 10));
                euid = static_cast<std::uint32_t>(std::strtoul(end, nullptr, 10));
            }
        }
    }
    impl_->dec->common_fields(line, type, ts, static_cast<std::uint32_t>(pid), static_cast<std::uint32_t>(pid),
                              ppid, uid, euid, comm);
    fill(line);
    impl_->out->write_event(type, line.finish());
}

} // namespace glassbox::record
