// The trace file writer (see include/glassbox/trace_writer.hpp and docs/trace-format.md): header
// line, event lines buffered in memory and written in large chunks, summary line, fsync, rename of
// FILE.partial to FILE. Sits at the end of the data path: decoder/enforcement -> here -> disk.
#include <glassbox/log.hpp>
#include <glassbox/trace_writer.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <unistd.h>

namespace glassbox {

namespace {
constexpr std::size_t flush_threshold = 1 << 20;
}

std::int64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::int64_t realtime_ns() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::string rfc3339_utc(std::int64_t unix_ns) {
    time_t secs = static_cast<time_t>(unix_ns / 1'000'000'000);
    long nanos = static_cast<long>(unix_ns % 1'000'000'000);
    tm t{};
    gmtime_r(&secs, &t);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", t.tm_year + 1900, t.tm_mon + 1,
                       t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, nanos);
}

trace_writer::trace_writer(std::string path, int fd)
    : path_(std::move(path)), partial_(path_ + ".partial"), fd_(fd) {
    buf_.reserve(flush_threshold + 65536);
}

trace_writer::trace_writer(trace_writer&& o) noexcept
    : path_(std::move(o.path_)), partial_(std::move(o.partial_)), fd_(o.fd_),
      finished_(o.finished_), write_failed_(o.write_failed_), buf_(std::move(o.buf_)),
      events_(o.events_), late_events_(o.late_events_), counts_(std::move(o.counts_)) {
    o.fd_ = -1;
    o.finished_ = true;
}

result<trace_writer> trace_writer::open(const std::string& path) {
    if (path.empty())
        return std::unexpected(error{"the output file name is empty"});
    std::string partial = path + ".partial";
    int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return std::unexpected(
            error{fmt::format("cannot write the trace '{}': {}", partial, std::strerror(errno))});
    return trace_writer(path, fd);
}

trace_writer::~trace_writer() {
    if (fd_ >= 0) {
        ::close(fd_);
        if (!finished_)
            ::unlink(partial_.c_str());
    }
}

void trace_writer::flush_locked() {
    std::size_t off = 0;
    while (off < buf_.size() && !write_failed_) {
        ssize_t n = ::write(fd_, buf_.data() + off, buf_.size() - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            spdlog::error("writing the trace '{}' failed: {}", partial_, std::strerror(errno));
            write_failed_ = true;
            break;
        }
        off += static_cast<std::size_t>(n);
    }
    buf_.clear();
}

void trace_writer::write_header(const trace_header& h) {
    json_line l;
    l.str("type", "header").str("format", "glassbox-trace").num("version", 1);
    l.str("glassbox_version", version()).str("mode", h.mode).str_array("command", h.command);
    l.str("cwd", h.cwd).str("host", h.host).str("kernel", h.kernel);
    l.str("start_wall", rfc3339_utc(h.start_realtime_ns)).num("start_ns", h.start_realtime_ns);
    if (h.root_pid)
        l.num("root_pid", *h.root_pid);
    if (!h.cgroup.empty())
        l.str("cgroup", h.cgroup);
    for (const auto& [k, v] : h.extra)
        l.raw(k, v);
    std::lock_guard lock(mu_);
    buf_ += l.finish();
    buf_ += '\n';
    flush_locked();
}

void trace_writer::write_event(std::string_view type, const std::string& line) {
    std::lock_guard lock(mu_);
    if (finished_) {
        // The summary is the last line and its counts are final: a line after it would make a
        // complete trace lie. Only a thread that outlived the session gets here (enforcement's
        // reporters when the tree could not be killed); say so rather than drop it silently.
        if (late_events_++ == 0)
            spdlog::error("the trace '{}' was already complete when more events arrived; they are not in it "
                          "(first: {})",
                          path_, type);
        return;
    }
    buf_ += line;
    buf_ += '\n';
    ++events_;
    auto it = counts_.find(type);
    if (it == counts_.end())
        counts_.emplace(std::string(type), 1);
    else
        ++it->second;
    if (buf_.size() >= flush_threshold)
        flush_locked();
}

std::uint64_t trace_writer::events() const {
    std::lock_guard lock(mu_);
    return events_;
}

std::uint64_t trace_writer::late_events() const {
    std::lock_guard lock(mu_);
    return late_events_;
}

result<void> trace_writer::finish(const trace_summary& s) {
    std::lock_guard lock(mu_);
    json_line l;
    l.str("type", "summary").unum("events", events_);
    {
        std::string counts = "{";
        bool first = true;
        for (const auto& [k, v] : counts_) {
            if (!first)
                counts += ',';
            first = false;
            append_json_string(counts, k);
            counts += fmt::format(":{}", v);
        }
        counts += '}';
        l.raw("counts", counts);
    }
    l.unum("duration_ns", s.duration_ns).unum("lost", s.lost);
    l.raw("lost_by_cpu", fmt::format("[{}]", fmt::join(s.lost_by_cpu, ",")));
    if (!s.lost_by_type.empty()) {
        std::string by = "{";
        bool first = true;
        for (const auto& [k, v] : s.lost_by_type) {
            if (!first)
                by += ',';
            first = false;
            append_json_string(by, k);
            by += fmt::format(":{}", v);
        }
        by += '}';
        l.raw("lost_by_type", by);
    }
    l.raw("truncated", fmt::format("{{\"path\":{},\"argv\":{}}}", s.truncated_paths, s.truncated_argv));
    if (s.exit_code)
        l.raw("exit", fmt::format("{{\"code\":{}}}", *s.exit_code));
    else if (s.exit_signal)
        l.raw("exit", fmt::format("{{\"signal\":{}}}", *s.exit_signal));
    if (!s.ended_by.empty())
        l.str("ended_by", s.ended_by);
    if (!s.coverage_gaps.empty())
        l.str_array("coverage_gaps", s.coverage_gaps); // as the header's coverage says, repeated
    l.boolean("complete", true);
    buf_ += l.finish();
    buf_ += '\n';
    flush_locked();
    if (write_failed_)
        return std::unexpected(error{fmt::format("writing the trace '{}' failed", partial_)});
    if (::fsync(fd_) != 0)
        return std::unexpected(
            error{fmt::format("fsync of '{}' failed: {}", partial_, std::strerror(errno))});
    if (::rename(partial_.c_str(), path_.c_str()) != 0)
        return std::unexpected(error{fmt::format("cannot rename '{}' to '{}': {}", partial_, path_,
                                                 std::strerror(errno))});
    finished_ = true;
    return {};
}

} // namespace glassbox
