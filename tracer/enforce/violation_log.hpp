// Turns sandbox decisions into trace lines: the `violation` event (docs/trace-format.md) with the
// common fields of the process that attempted the action, plus a per-section tally for the
// end-of-run report on stderr. Thread-safe: the supervisor and the network reader both report.
#pragma once

#include "enforce/policy.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace glassbox::enforce {

// Visits the violation-specific fields in their documented order. `Sink` has
// str(key, value) and num(key, value).
template <typename Sink>
void visit_violation_fields(const violation& v, Sink& s) {
    s.str("section", v.section);
    s.str("attempted", v.what);
    if (!v.syscall.empty())
        s.str("syscall", v.syscall);
    if (!v.path.empty())
        s.str("path", v.path);
    if (!v.access.empty())
        s.str("access", v.access);
    if (!v.addr.empty())
        s.str("addr", v.addr);
    if (v.port >= 0)
        s.num("port", v.port);
    if (!v.protocol.empty())
        s.str("protocol", v.protocol);
    s.str("action", v.action);
    s.str("mechanism", v.mechanism);
}

// A standalone JSON-lines trace of the enforcement run (header, violations, summary) for when the
// recorder is not used; same format as docs/trace-format.md.
class violation_log {
public:
    // Empty path: only the tally is kept.
    violation_log(std::string path, std::vector<std::string> command, std::string profile_path, mode m);
    ~violation_log();
    violation_log(const violation_log&) = delete;
    violation_log& operator=(const violation_log&) = delete;

    bool ok() const { return fd_ >= 0 || path_.empty(); }
    const std::string& error() const { return error_; }
    void set_root(int pid, const std::string& cgroup);
    void add(const violation& v);
    // Writes the summary and renames FILE.partial to FILE.
    void finish(int wait_status, bool ended_by_signal, std::uint64_t lost);

    std::size_t count() const;
    std::size_t denied() const;
    std::map<std::string, std::size_t> by_section() const;
    std::vector<violation> all() const;

private:
    void write_line(const std::string& line);
    std::string path_, partial_, profile_path_, error_;
    std::vector<std::string> command_;
    mode mode_;
    int fd_ = -1;
    std::int64_t start_mono_ = 0, start_real_ = 0;
    int root_pid_ = 0;
    std::string cgroup_;
    bool header_written_ = false;
    mutable std::mutex mu_;
    std::vector<violation> all_;
    std::map<std::string, std::uint64_t> counts_;
};

} // namespace glassbox::enforce
