// Network enforcement: loads the cgroup BPF programs (bpf/enforce/net.bpf.c), fills their rule
// map from the policy, attaches them to the sandbox's cgroup, and turns their ring-buffer reports
// into violations. Programs are attached with BPF_PROG_ATTACH (not bpf links) on purpose: they stay
// on the cgroup if glassbox dies, so the network stays closed (fail closed).
#pragma once

#include "enforce/policy.hpp"
#include "enforce/unique_fd.hpp"

#include <glassbox/error.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

struct glassbox_enforce_bpf;
struct ring_buffer;

namespace glassbox::enforce {

class net_guard {
public:
    // Loads and configures the programs; attaches them when cgroup_fd >= 0. `exec_check` also
    // loads the exec backstop (bpf/enforce/exec.bpf.c), which needs the kernel's BTF (slower).
    static result<std::unique_ptr<net_guard>> load(const policy& pol, mode m, int cgroup_fd = -1,
                                                   bool exec_check = false);
    result<void> attach(int cgroup_fd);
    ~net_guard();
    net_guard(const net_guard&) = delete;
    net_guard& operator=(const net_guard&) = delete;

    void start(violation_sink sink, std::function<void()> kill_tree);
    // Drains the ring buffer and stops the reader; programs stay attached until detach().
    void stop();
    void detach();
    std::uint64_t lost() const;
    // Exec backstop: the next exec by global thread id `tid` must run the file (dev, ino)
    // (userspace st_dev encoding). False when the backstop is not loaded or the map is full.
    bool approve_exec(pid_t tid, dev_t dev, ino_t ino);
    bool exec_check() const { return exec_check_; }
    // Unix socket addresses judged (AF_UNIX hooks loaded, every unix rule compiled); else why not.
    bool unix_enforced() const { return unix_; }
    const std::string& unix_problem() const { return unix_problem_; }

private:
    net_guard() = default;
    static int on_report(void* ctx, void* data, std::size_t len);
    static int on_unix_report(void* ctx, void* data, std::size_t len);
    static int on_dns_report(void* ctx, void* data, std::size_t len);
    template <class Report>
    void deliver(violation& v, const Report& r, const char* mechanism, bool allowed, bool killed = false) const;
    glassbox_enforce_bpf* skel_ = nullptr;
    ring_buffer* rb_ = nullptr;
    int cgroup_fd_ = -1;
    mode mode_ = mode::enforce;
    bool attached_ = false;
    bool exec_check_ = false;
    bool unix_ = false;
    std::string unix_problem_;
    std::atomic<bool> stop_{false};
    unique_fd stop_event_;
    std::thread thread_;
    violation_sink sink_;
    std::function<void()> kill_tree_;
};

// Text form of a 16-byte (v4-mapped or v6) address: "127.0.0.1" for mapped IPv4 as the policy
// writes it, "::ffff:..." never shown for v4.
std::string format_addr(const std::uint8_t addr[16]);

} // namespace glassbox::enforce
