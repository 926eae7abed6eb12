// The watchdog (see include/glassbox/record.hpp and docs/recording.md, "Fail-closed"): a process
// forked by glassbox, outside the traced tree, that acts when glassbox ends before the recording
// is over (killed by the tree or the OOM killer, a crash). Once armed it holds the ring buffer
// and the links of every attached program, so the kernel goes on recording after glassbox is
// gone; it then stops the tree, decodes what the ring still holds (the attempt that ended
// glassbox among it), appends it to TRACE.partial with the hash chain continued, and kills the
// tree. Messages from glassbox on a SOCK_SEQPACKET pair: 'a' (arm, with descriptors), 'd' (the
// recording is over: exit), 'k' (glassbox ends with an error and keeps its own trace: kill the
// tree only). The end of the socket without 'd' or 'k' means glassbox is gone.
#include <glassbox/mountinfo.hpp>
#include <glassbox/record.hpp>
#include <glassbox/trace_writer.hpp>

#include "record/decode.hpp"
#include "record/ring_reader.hpp"

#include <bpf/bpf.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <filesystem>
#include <fcntl.h>
#include <deque>
#include <set>
#include <unordered_map>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace glassbox::record {

namespace {

// Every pid in the scope map (the recorder's BPF hash of traced tgids).
void scope_pids_of(int map_fd, std::set<pid_t>& out) {
    __u32 key = 0, next = 0;
    void* prev = nullptr;
    while (bpf_map_get_next_key(map_fd, prev, &next) == 0) {
        out.insert(static_cast<pid_t>(next));
        key = next;
        prev = &key;
    }
}

struct proc_stat {
    char state = 0;
    pid_t ppid = 0;
    unsigned long long start = 0; // clock ticks since boot
};

// /proc/PID/FILE's first 4 KiB (one read: these files are generated whole); empty when gone.
std::string proc_file(pid_t pid, const char* file) {
    char path[64], buf[4096];
    std::snprintf(path, sizeof path, "/proc/%d/%s", pid, file);
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return {};
    ssize_t n = ::read(fd, buf, sizeof buf);
    ::close(fd);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

std::optional<proc_stat> read_stat(pid_t pid) {
    std::string buf = proc_file(pid, "stat");
    if (buf.empty())
        return std::nullopt;
    const char* rp = std::strrchr(buf.c_str(), ')'); // comm may hold anything; it ends at the last ')'
    proc_stat st;
    // state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime cutime
    // cstime priority nice num_threads itrealvalue starttime
    if (!rp || std::sscanf(rp + 1, " %c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
                           &st.state, &st.ppid, &st.start) != 3)
        return std::nullopt;
    return st;
}

// The tree's live processes: the scope set's pids, and their children (from /proc), until
// nothing new: the tree's processes forked after glassbox ended are in no scope set. Only
// processes started after the watchdog (`since`): a pid the scope set still holds may have been
// reused by a process of the machine (when the tree is newer than the watchdog: run).
std::set<pid_t> tree_now(int map_fd, unsigned long long since) {
    std::set<pid_t> candidates, set;
    scope_pids_of(map_fd, candidates);
    for (pid_t p : candidates)
        if (auto st = read_stat(p); st && st->state != 'Z' && st->start >= since)
            set.insert(p);
    for (bool grew = true; grew;) {
        grew = false;
        DIR* d = ::opendir("/proc");
        if (!d)
            break;
        while (auto* e = ::readdir(d)) {
            char* end = nullptr;
            long pid = std::strtol(e->d_name, &end, 10);
            if (*end || pid <= 0 || set.count(static_cast<pid_t>(pid)))
                continue;
            auto st = read_stat(static_cast<pid_t>(pid));
            if (st && st->state != 'Z' && set.count(st->ppid)) {
                set.insert(static_cast<pid_t>(pid));
                grew = true;
            }
        }
        ::closedir(d);
    }
    set.erase(::getpid());
    set.erase(1);
    return set;
}

// SIGCONT to `pid` when it is stopped (the tree sent it SIGSTOP: docs/recording.md, "Protection").
void continue_if_stopped(pid_t pid) {
    if (auto st = read_stat(pid); st && st->state == 'T')
        ::kill(pid, SIGCONT);
}

// The cgroup v2 path of `pid` ("/" for the root); nullopt when unreadable.
std::optional<std::string> cgroup_of(pid_t pid) {
    std::string buf = proc_file(pid, "cgroup");
    std::string_view all = buf;
    for (std::size_t at = 0; at < all.size();) {
        std::size_t end = all.find('\n', at);
        std::string_view l = all.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
        if (l.starts_with("0::"))
            return std::string(l.substr(3));
        if (end == std::string_view::npos)
            break;
        at = end + 1;
    }
    return std::nullopt;
}

} // namespace

// Keeps one of glassbox's processes in the cgroup v2 root (harden_self() put it there; the root
// has no cgroup.freeze or cgroup.kill): once seen there, a move into another cgroup (the tree's:
// the cgroup tripwire kills the mover, but a second process may freeze that cgroup at once) is
// undone within one tick, which also thaws it.
struct root_keeper {
    std::string procs; // ROOT/cgroup.procs; empty: no cgroup v2
    bool seen_in_root = false;
    void tick(pid_t pid) {
        if (procs.empty())
            return;
        auto c = cgroup_of(pid);
        if (!c)
            return;
        if (*c == "/")
            seen_in_root = true;
        else if (seen_in_root)
            write_kernel_file(procs, std::to_string(pid));
    }
};

static root_keeper keeper_for_root() {
    root_keeper k;
    if (auto root = cgroup2_root())
        k.procs = *root + "/cgroup.procs";
    return k;
}

namespace {

void say(const std::string& msg) {
    if (::write(2, msg.data(), msg.size()) < 0) {
    }
}

// The arm message's fixed part; the descriptors ride along (SCM_RIGHTS): the ring buffer first,
// then the links.
struct arm_msg {
    char tag = 'a';
    std::int64_t start_mono_ns = 0;
    std::uint64_t ring_size = 0;
    char trace_path[4096] = {};
};

// SCM_MAX_FD: the kernel's bound on descriptors per message.
constexpr std::size_t max_fds = 253;

struct armed {
    int ring_fd = -1;
    std::uint64_t ring_size = 0;
    std::int64_t start_mono_ns = 0;
    std::string trace_path;
    std::vector<int> links; // held only: they keep the programs attached
};

class dog {
public:
    dog(std::string kill_path, int scope_map_fd, bool tree_is_new, bool fail_closed)
        : kill_path_(std::move(kill_path)), scope_fd_(scope_map_fd), fail_closed_(fail_closed) {
        if (auto me = read_stat(::getpid()); me && tree_is_new)
            since_ = me->start;
    }

    [[noreturn]] void run(int sock, pid_t glassbox) {
        glassbox_ = glassbox;
        for (;;) {
            // Every 20 ms: a glassbox the tree stopped is continued (the tree's sender is dead
            // already where the signal tripwire runs).
            pollfd pfd{sock, POLLIN, 0};
            int ready = ::poll(&pfd, 1, 20);
            if (ready == 0) {
                continue_if_stopped(glassbox);
                keeper_.tick(glassbox);
                continue;
            }
            if (ready < 0)
                continue; // EINTR
            arm_msg m;
            alignas(cmsghdr) char ctl[CMSG_SPACE(sizeof(int) * max_fds)];
            iovec iov{&m, sizeof m};
            msghdr mh{};
            mh.msg_iov = &iov;
            mh.msg_iovlen = 1;
            mh.msg_control = ctl;
            mh.msg_controllen = sizeof ctl;
            ssize_t n = ::recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break; // glassbox is gone
            if (m.tag == 'd')
                ::_exit(0);
            if (m.tag == 'k') {
                if (fail_closed_)
                    kill_tree();
                ::_exit(0);
            }
            if (m.tag == 'a' && static_cast<std::size_t>(n) == sizeof m)
                take_arm(m, mh);
        }
        if (!arm_) {
            if (!fail_closed_)
                ::_exit(0);
            std::size_t killed = kill_tree();
            say(fmt::format("glassbox watchdog: glassbox ended before the recording was over: the traced tree was "
                            "killed ({} processes)\n",
                            killed));
            ::_exit(0);
        }
        recover();
    }

private:
    void take_arm(const arm_msg& m, msghdr& mh) {
        armed a;
        a.start_mono_ns = m.start_mono_ns;
        a.ring_size = m.ring_size;
        a.trace_path.assign(m.trace_path, strnlen(m.trace_path, sizeof m.trace_path));
        for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                continue;
            std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            const auto* fds = reinterpret_cast<const int*>(CMSG_DATA(c));
            for (std::size_t i = 0; i < count; ++i) {
                if (a.ring_fd < 0)
                    a.ring_fd = fds[i];
                else
                    a.links.push_back(fds[i]);
            }
        }
        if (a.ring_fd >= 0 && !a.trace_path.empty())
            arm_ = std::move(a);
        // glassbox is in the cgroup v2 root by now (harden_self() comes first): from here on a
        // move out of it is undone, even one made before the first tick.
        keeper_.tick(glassbox_);
    }

    // Stops (not kills) the tree, so that it does nothing more while the ring is read and its
    // processes' executables can still be read from /proc. A few rounds: a process forked
    // between the listing and the stop is found by the next.
    std::size_t stop_tree() {
        std::set<pid_t> stopped;
        for (int round = 0; round < 5; ++round) {
            std::size_t before = stopped.size();
            for (pid_t p : tree_now(scope_fd_, since_))
                if (stopped.insert(p).second)
                    ::kill(p, SIGSTOP);
            if (stopped.size() == before)
                break;
            ::usleep(2 * 1000);
        }
        return stopped.size();
    }

    std::size_t kill_tree() {
        std::set<pid_t> killed;
        for (int round = 0; round < 100; ++round) {
            if (!kill_path_.empty())
                write_kernel_file(kill_path_, "1");
            auto victims = tree_now(scope_fd_, since_);
            if (victims.empty())
                break;
            // Stopped first, so that none forks a child the next round would have to find.
            for (pid_t p : victims)
                ::kill(p, SIGSTOP);
            for (pid_t p : victims)
                ::kill(p, SIGKILL);
            killed.insert(victims.begin(), victims.end());
            ::usleep(20 * 1000);
        }
        return killed.size();
    }

    struct line {
        std::string type, text;
        std::int64_t ts = 0;
        std::uint32_t tid = 0;
    };

    // Decodes every record the ring holds now (glassbox consumed the rest).
    void drain(ring_reader& ring, decoder& dec, std::vector<line>& out) {
        json_line jl;
        std::string human;
        ring.consume([&](std::span<const std::uint8_t> rec) {
            jl.clear();
            auto r = dec.decode(rec, jl, human);
            if (!r) {
                ++malformed_;
                return;
            }
            gb_event_header h;
            std::memcpy(&h, rec.data(), sizeof h);
            out.push_back({std::string(r->type), jl.text(), dec.last_ts(), h.tid});
        });
    }

    using key = std::pair<std::int64_t, std::uint32_t>; // an event line: its (ts, tid)

    // A number field among a line's first fields (the common fields come first).
    static std::optional<std::int64_t> field_num(std::string_view l, std::string_view k) {
        auto at = l.find(k);
        if (at == std::string_view::npos || at > 256)
            return std::nullopt;
        return std::strtoll(l.data() + at + k.size(), nullptr, 10);
    }

    // What the trace on disk tells the watchdog's decoder: each process's executable as its
    // latest line names it (the ring's records of a process that has ended since name none),
    // and the keys of the latest lines (glassbox may have written some of the records the ring
    // still holds: consumed in a pass it did not finish; never more than one pass's worth).
    struct on_disk {
        std::unordered_map<std::uint32_t, std::optional<std::string>> exe;
        std::deque<key> recent;
        std::set<key> recent_set() const { return {recent.begin(), recent.end()}; }
    };

    static void learn(std::string_view l, on_disk& d) {
        auto ts = field_num(l, R"(,"ts":)"), pid = field_num(l, R"(,"pid":)"), tid = field_num(l, R"(,"tid":)");
        if (!ts || !pid || !tid)
            return;
        d.recent.emplace_back(*ts, static_cast<std::uint32_t>(*tid));
        if (d.recent.size() > 65536)
            d.recent.pop_front();
        constexpr std::string_view exe_key = R"(,"exe":)";
        auto at = l.find(exe_key);
        if (at == std::string_view::npos)
            return;
        std::string_view v = l.substr(at + exe_key.size());
        auto& slot = d.exe[static_cast<std::uint32_t>(*pid)];
        if (v.starts_with("null")) {
            slot.reset();
        } else if (auto end = v.find('"', 1); v.starts_with('"') && end != std::string_view::npos &&
                                               v.substr(1, end - 1).find('\\') == std::string_view::npos) {
            slot = std::string(v.substr(1, end - 1));
        } else if (auto j = nlohmann::json::parse(l, nullptr, false); j.is_object() && j["exe"].is_string()) {
            slot = j["exe"].get<std::string>(); // escaped bytes
        }
    }

    [[noreturn]] void recover() {
        const armed& a = *arm_;
        // Fail-closed: the kernel stops each traced process at its next syscall (gb_life); these
        // stop those blocked in one, so that the tree does nothing more while the ring is read.
        std::size_t stopped = fail_closed_ ? stop_tree() : 0;
        // A syscall in flight when glassbox died ends (and is recorded) meanwhile.
        ::usleep(20 * 1000);
        std::string verdict;
        on_disk disk;
        resumed_trace info;
        std::optional<trace_writer> w;
        bool complete =
            ::access((a.trace_path + ".partial").c_str(), F_OK) != 0 && ::access(a.trace_path.c_str(), F_OK) == 0;
        if (!complete) {
            auto r = trace_writer::resume(a.trace_path, a.start_mono_ns, info, [&](std::string_view l) { learn(l, disk); });
            if (r)
                w.emplace(std::move(*r));
            else
                verdict = fmt::format("the records the kernel still held are lost: {}", r.error().message);
        }
        std::vector<line> lines;
        decoder dec(a.start_mono_ns);
        dec.want_human(false);
        for (auto& [pid, exe] : disk.exe)
            dec.set_exe(pid, std::move(exe));
        // glassbox, a signal's target most likely, is gone: its executable is the watchdog's own.
        std::error_code ec;
        if (auto self = std::filesystem::read_symlink("/proc/self/exe", ec); !ec)
            dec.know_exe(static_cast<std::uint32_t>(glassbox_), self.string());
        auto ring = ring_reader::open(a.ring_fd, a.ring_size);
        if (ring)
            drain(*ring, dec, lines);
        std::size_t killed = 0;
        if (fail_closed_ && !complete) {
            killed = std::max(stopped, kill_tree());
            if (ring) {
                ::usleep(20 * 1000); // the killed processes' exits
                drain(*ring, dec, lines);
            }
        }
        if (complete) // glassbox died after its summary: nothing to keep, nobody to stop
            ::_exit(0);
        if (w)
            verdict = append(a, *w, info, disk.recent_set(), lines, killed, ring ? std::string() : ring.error().message);
        say(fail_closed_ ? fmt::format("glassbox watchdog: glassbox ended before the recording was over: the traced "
                                       "tree was killed ({} processes); {}\n",
                                       killed, verdict)
                         : fmt::format("glassbox watchdog: glassbox ended before the recording was over (the traced "
                                       "processes go on: no --fail-closed); {}\n",
                                       verdict));
        ::_exit(0);
    }

    std::string append(const armed& a, trace_writer& w, const resumed_trace& info, const std::set<key>& written,
                       const std::vector<line>& lines, std::size_t killed, const std::string& ring_error) {
        std::uint64_t first = info.lines + 1, appended = 0, duplicates = 0;
        for (const auto& l : lines) {
            if (written.count({l.ts, l.tid})) {
                ++duplicates;
                continue;
            }
            w.write_event(l.type, l.text);
            ++appended;
        }
        json_line m;
        m.str("type", "watchdog").num("ts", monotonic_ns() - a.start_mono_ns);
        m.str("what", fail_closed_ ? "glassbox ended before the recording was over; its watchdog stopped the traced "
                                     "tree, appended the records the kernel still held and killed the tree"
                                   : "glassbox ended before the recording was over; its watchdog appended the records "
                                     "the kernel still held; the traced processes went on, unrecorded");
        m.unum("recovered", appended).unum("first_line", first).unum("duplicates", duplicates);
        m.unum("killed", killed).unum("malformed", malformed_);
        // Lines after glassbox's last checkpoint (a write cut short): as found on disk, vouched
        // for by the watchdog's checkpoint only.
        if (info.last_chain_line < info.lines)
            m.raw("unchecked_lines", fmt::format("[{},{}]", info.last_chain_line + 1, info.lines));
        if (info.torn_bytes)
            m.unum("cut_bytes", info.torn_bytes);
        if (!ring_error.empty())
            m.str("error", ring_error);
        w.write_event("watchdog", m.finish());
        w.flush_now();
        if (w.failed())
            return fmt::format("appending to '{}.partial' failed", a.trace_path);
        return fmt::format("{} records the kernel still held were appended to '{}.partial' (lines {}-{})", appended,
                           a.trace_path, first, first + appended - 1);
    }

    std::string kill_path_;
    int scope_fd_;
    bool fail_closed_;
    pid_t glassbox_ = 0;
    root_keeper keeper_ = keeper_for_root();
    unsigned long long since_ = 0;
    std::optional<armed> arm_;
    std::uint64_t malformed_ = 0;
};

} // namespace

result<watchdog> watchdog::start(const cgroup_dir* cg, int scope_map_fd, bool tree_is_new, bool fail_closed) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        return std::unexpected(error{fmt::format("cannot start the watchdog: socketpair: {}", std::strerror(errno))});
    std::string kill_path = cg ? cg->path() + "/cgroup.kill" : std::string();
    pid_t pid = ::fork();
    if (pid < 0) {
        int e = errno;
        ::close(sv[0]);
        ::close(sv[1]);
        return std::unexpected(error{fmt::format("cannot start the watchdog: fork: {}", std::strerror(e))});
    }
    if (pid == 0) {
        ::close(sv[1]);
        pid_t glassbox = ::getppid();
        // Out of glassbox's session and process group: Ctrl-C or a signal to the group ends
        // glassbox (which then finishes cleanly), never the watchdog.
        ::setsid();
        ::prctl(PR_SET_NAME, "glassbox-watch");
        // Out of glassbox's cgroup (the caller's, whose cgroup.kill the tree could write) into
        // the root, as glassbox itself moves once the tree is forked.
        if (auto k = keeper_for_root(); !k.procs.empty())
            write_kernel_file(k.procs, "0");
        for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE})
            std::signal(s, SIG_IGN);
        dog(kill_path, scope_map_fd, tree_is_new, fail_closed).run(sv[0], glassbox);
    }
    ::close(sv[0]);
    return watchdog(pid, sv[1], fail_closed);
}

result<void> watchdog::arm(const recording_handles& h, const std::string& trace_path, std::int64_t start_mono_ns) {
    arm_msg m;
    m.start_mono_ns = start_mono_ns;
    m.ring_size = h.ring_size;
    std::error_code ec;
    std::string path = std::filesystem::absolute(trace_path, ec).string(); // the watchdog's cwd may differ
    if (ec)
        path = trace_path;
    if (path.size() >= sizeof m.trace_path)
        return std::unexpected(error{"the trace's path is too long for the watchdog"});
    std::memcpy(m.trace_path, path.data(), path.size());
    std::vector<int> fds{h.ring_fd};
    fds.insert(fds.end(), h.link_fds.begin(), h.link_fds.end());
    if (h.ring_fd < 0 || fds.size() > max_fds)
        return std::unexpected(error{fmt::format("cannot pass {} descriptors to the watchdog", fds.size())});
    std::vector<char> ctl(CMSG_SPACE(sizeof(int) * fds.size()));
    iovec iov{&m, sizeof m};
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = ctl.data();
    mh.msg_controllen = ctl.size();
    cmsghdr* c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
    if (::sendmsg(fd_, &mh, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof m))
        return std::unexpected(error{fmt::format("cannot arm the watchdog: {}", std::strerror(errno))});
    return {};
}

watchdog::watchdog(watchdog&& o) noexcept
    : pid_(o.pid_), fd_(o.fd_), fail_closed_(o.fail_closed_), keeper_(std::move(o.keeper_)) {
    o.pid_ = -1;
    o.fd_ = -1;
}

void watchdog::keep_running() {
    if (pid_ <= 0)
        return;
    continue_if_stopped(pid_);
    if (!keeper_)
        keeper_ = std::make_shared<root_keeper>(keeper_for_root());
    keeper_->tick(pid_);
}

void watchdog::done() {
    if (fd_ < 0)
        return;
    char d = 'd';
    if (::send(fd_, &d, 1, MSG_NOSIGNAL) != 1) {
    }
    ::close(fd_);
    fd_ = -1;
}

watchdog::~watchdog() {
    if (fd_ >= 0) {
        // Ended without done() (an error ends glassbox early): the watchdog kills the tree, and
        // leaves the trace to glassbox, which is alive to write it. Waited for, so that the tree
        // is gone when glassbox reports the error.
        char k = 'k';
        if (::send(fd_, &k, 1, MSG_NOSIGNAL) != 1) {
        }
        ::close(fd_);
        fd_ = -1;
    }
    if (pid_ > 0)
        while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
        }
}

} // namespace glassbox::record
