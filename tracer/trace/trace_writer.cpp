// The trace file writer (see include/glassbox/trace_writer.hpp and docs/trace-format.md): header
// line, event lines buffered in memory and written in large chunks or at the latest every
// flush_interval (with a checkpoint of the hash chain), summary line, fsync, rename of
// FILE.partial to FILE. Sits at the end of the data path: decoder/enforcement -> here -> disk.
#include <glassbox/log.hpp>
#include <glassbox/trace_writer.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <limits>
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

trace_writer::trace_writer(std::string path, int fd, const trace_writer_options& opts)
    : path_(std::move(path)), partial_(path_ + ".partial"), fd_(fd), opts_(opts) {
    buf_.reserve(flush_threshold + 65536);
    if (opts_.checkpoint_lines == 0)
        opts_.checkpoint_lines = 1;
    tags_.reserve(std::size_t{opts_.checkpoint_lines} * 2 * chain_tag_bytes);
}

trace_writer::trace_writer(trace_writer&& o) noexcept
    : path_(std::move(o.path_)), partial_(std::move(o.partial_)), fd_(o.fd_), finished_(o.finished_),
      write_failed_(o.write_failed_.load()), buf_(std::move(o.buf_)), buf_since_ns_(o.buf_since_ns_),
      buf_oldest_event_ns_(o.buf_oldest_event_ns_), events_(o.events_),
      late_events_(o.late_events_), counts_(std::move(o.counts_)), opts_(std::move(o.opts_)),
      key_(std::move(o.key_)), chain_(std::move(o.chain_)), lines_(o.lines_), tags_(std::move(o.tags_)),
      tagged_(o.tagged_), start_mono_ns_(o.start_mono_ns_), resumed_(o.resumed_), final_digest_(std::move(o.final_digest_)),
      mu_(std::move(o.mu_)) {
    o.fd_ = -1;
    o.finished_ = true;
}

result<trace_writer> trace_writer::open(const std::string& path, const trace_writer_options& opts) {
    if (path.empty())
        return std::unexpected(error{"the output file name is empty"});
    // The key first: a bad key must not leave an empty trace behind.
    std::unique_ptr<ed25519_key> key;
    if (!opts.sign_key.empty()) {
        auto k = ed25519_key::load_private(opts.sign_key);
        if (!k)
            return std::unexpected(k.error());
        key = std::make_unique<ed25519_key>(std::move(*k));
    }
    std::string partial = path + ".partial";
    int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return std::unexpected(
            error{fmt::format("cannot write the trace '{}': {}", partial, std::strerror(errno))});
    trace_writer w(path, fd, opts);
    w.key_ = std::move(key);
    return w;
}

result<trace_writer> trace_writer::resume(const std::string& path, std::int64_t start_mono_ns, resumed_trace& info,
                                          const std::function<void(std::string_view)>& each) {
    std::string partial = path + ".partial";
    int fd = ::open(partial.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return std::unexpected(error{fmt::format("cannot reopen the trace '{}': {}", partial, std::strerror(errno))});
    trace_writer w(path, fd, {});
    w.start_mono_ns_ = start_mono_ns;
    w.resumed_ = true;
    w.events_ = 1; // the file is evidence whatever follows: the destructor must not remove it
    info = {};
    constexpr std::string_view checkpoint = R"({"type":"checkpoint",)", summary = R"({"type":"summary",)";
    std::string pending; // the bytes of a line not yet ended
    std::vector<char> block(1 << 20);
    off_t kept = 0; // bytes up to the end of the last complete line
    for (;;) {
        ssize_t n = ::read(fd, block.data(), block.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return std::unexpected(error{fmt::format("cannot read the trace '{}': {}", partial, std::strerror(errno))});
        if (n == 0)
            break;
        std::string_view chunk(block.data(), static_cast<std::size_t>(n));
        while (!chunk.empty()) {
            auto nl = chunk.find('\n');
            if (nl == std::string_view::npos) {
                pending.append(chunk);
                break;
            }
            pending.append(chunk.substr(0, nl));
            chunk.remove_prefix(nl + 1);
            std::string_view line = pending;
            kept += static_cast<off_t>(line.size() + 1);
            if (info.lines == 0 && line.find(R"("chain":{"hash":"sha256")") == std::string_view::npos)
                return std::unexpected(error{fmt::format("'{}' is not a chained glassbox trace", partial)});
            if (line.starts_with(summary))
                return std::unexpected(error{fmt::format("'{}' is complete: it has a summary line", partial)});
            w.chain_.update(line);
            w.chain_.update("\n");
            ++w.lines_;
            ++info.lines;
            if (line.starts_with(checkpoint)) {
                w.tags_.clear();
                w.tagged_ = 0;
                info.last_chain_line = info.lines;
            } else {
                w.tags_ += hex_of(w.chain_.peek().data(), chain_tag_bytes);
                ++w.tagged_;
                if (info.lines > 1 && each)
                    each(line);
            }
            pending.clear();
        }
    }
    if (info.lines == 0)
        return std::unexpected(error{fmt::format("'{}' has no complete line: not a glassbox trace", partial)});
    info.torn_bytes = pending.size();
    if ((info.torn_bytes && ::ftruncate(fd, kept) != 0) || ::lseek(fd, kept, SEEK_SET) < 0)
        return std::unexpected(error{fmt::format("cannot cut the trace '{}' after its last complete line: {}", partial,
                                                  std::strerror(errno))});
    return w;
}

trace_writer::~trace_writer() {
    if (fd_ < 0)
        return;
    if (!finished_) {
        std::lock_guard lock(*mu_);
        flush_locked();
    }
    ::close(fd_);
    // A trace that never got an event line (the command could not start) is litter; one that
    // did is evidence of what happened before the failure, and stays as FILE.partial.
    if (!finished_ && events_ == 0)
        ::unlink(partial_.c_str());
    else if (!finished_ && !resumed_)
        spdlog::warn("the recording did not finish: the trace so far is in '{}'", partial_);
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
    buf_oldest_event_ns_ = std::numeric_limits<std::int64_t>::max();
}

void trace_writer::add_line_locked(std::string_view line) {
    if (buf_.empty())
        buf_since_ns_ = monotonic_ns();
    buf_ += line;
    buf_ += '\n';
    // The chain: the running digest takes the line and its end; the line's tag is the first
    // bytes of the digest of the file up to here (docs/trace-format.md, "The hash chain").
    chain_.update(line);
    chain_.update("\n");
    auto d = chain_.peek();
    tags_ += hex_of(d.data(), chain_tag_bytes);
    ++tagged_;
    ++lines_;
}

void trace_writer::add_chain_line_locked(std::string text, bool sign) {
    // `text` is the line up to and including the comma before "sha256": the digest covers the
    // file up to here, so it also covers this line's own fields.
    text += fmt::format("\"lines\":{},\"tags\":\"{}\",", lines_, tags_);
    if (buf_.empty())
        buf_since_ns_ = monotonic_ns();
    chain_.update(text);
    std::string digest = hex_of(chain_.peek());
    std::string tail = fmt::format("\"sha256\":\"{}\"", digest);
    if (sign && key_) {
        auto sig = key_->sign_hex(chain_signed_message(digest));
        if (sig)
            tail += fmt::format(",\"signature\":\"{}\"", *sig);
        else
            spdlog::error("{}", sig.error().message);
    }
    tail += "}\n";
    chain_.update(tail);
    buf_ += text;
    buf_ += tail;
    tags_.clear();
    tagged_ = 0;
    ++lines_;
    final_digest_ = std::move(digest);
}

void trace_writer::checkpoint_locked() {
    if (tagged_ == 0)
        return; // nothing since the last chain line: an idle recording adds no lines
    std::int64_t ts = monotonic_ns() - start_mono_ns_;
    add_chain_line_locked(fmt::format("{{\"type\":\"checkpoint\",\"ts\":{},", ts), false);
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
    std::string chain = fmt::format("{{\"hash\":\"sha256\",\"tag_bytes\":{},\"checkpoint_lines\":{}", chain_tag_bytes,
                                    opts_.checkpoint_lines);
    if (key_)
        chain += fmt::format(",\"signature\":\"ed25519\",\"public_key\":\"{}\"", key_->public_hex());
    chain += '}';
    l.raw("chain", chain);
    std::lock_guard lock(*mu_);
    start_mono_ns_ = h.start_mono_ns ? h.start_mono_ns : monotonic_ns();
    add_line_locked(l.finish());
    flush_locked();
}

void trace_writer::write_event(std::string_view type, const std::string& line, std::optional<std::int64_t> ts) {
    std::lock_guard lock(*mu_);
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
    add_line_locked(line);
    if (ts)
        buf_oldest_event_ns_ = std::min(buf_oldest_event_ns_, start_mono_ns_ + *ts);
    ++events_;
    auto it = counts_.find(type);
    if (it == counts_.end())
        counts_.emplace(std::string(type), 1);
    else
        ++it->second;
    if (tagged_ >= opts_.checkpoint_lines)
        checkpoint_locked();
    if (buf_.size() >= flush_threshold) {
        // Every write ends in a checkpoint: lines on disk after the last one are only those of a
        // write cut short (a kill mid-write), which nobody but this writer could vouch for.
        checkpoint_locked();
        flush_locked();
    }
}

void trace_writer::flush_due() {
    std::lock_guard lock(*mu_);
    if (finished_ || buf_.empty())
        return;
    // Due when the oldest line has waited the interval here, or when the oldest event is that
    // old already: behind a lagging formatter, lines arrive old, and another interval in the
    // buffer would add to the window instead of bounding it (docs/recording.md, "Durability").
    std::int64_t now = monotonic_ns(), interval = opts_.flush_interval.count() * 1'000'000;
    if (now - buf_since_ns_ < interval && (buf_oldest_event_ns_ == std::numeric_limits<std::int64_t>::max() ||
                                           now - buf_oldest_event_ns_ < interval))
        return;
    checkpoint_locked();
    flush_locked();
}

void trace_writer::flush_now() {
    std::lock_guard lock(*mu_);
    if (finished_)
        return;
    checkpoint_locked();
    flush_locked();
}

std::uint64_t trace_writer::events() const {
    std::lock_guard lock(*mu_);
    return events_;
}

std::uint64_t trace_writer::late_events() const {
    std::lock_guard lock(*mu_);
    return late_events_;
}

result<void> trace_writer::finish(const trace_summary& s) {
    std::lock_guard lock(*mu_);
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
    // The summary is the chain's last line: its fields, then the chain's (see add_chain_line_locked).
    std::string text = l.finish();
    text.back() = ',';
    add_chain_line_locked(std::move(text), true);
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

std::string chain_signed_message(std::string_view digest_hex) {
    return fmt::format("glassbox-trace-sha256:{}", digest_hex);
}

} // namespace glassbox
