// The spool between the recorder's drain and formatter threads (see spool.hpp): a FIFO of chunks
// of length-prefixed raw records, in memory up to a bound and in an unlinked temporary file
// beyond it. Sits between the ring buffer consumer and the decoder.
#include "record/spool.hpp"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace glassbox::record {

namespace {
constexpr std::size_t max_free_buffers = 8;

// pwrite/pread of all n bytes at off (retrying short transfers and EINTR).
template <class Buf, class Op>
bool transfer_all(Op op, int fd, Buf* p, std::size_t n, std::uint64_t off) {
    while (n) {
        ssize_t r = op(fd, p, n, static_cast<off_t>(off));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        p += r;
        n -= static_cast<std::size_t>(r);
        off += static_cast<std::uint64_t>(r);
    }
    return true;
}

bool write_all(int fd, const std::uint8_t* p, std::size_t n, std::uint64_t off) {
    return transfer_all(::pwrite, fd, p, n, off);
}

bool read_all(int fd, std::uint8_t* p, std::size_t n, std::uint64_t off) {
    return transfer_all(::pread, fd, p, n, off);
}
} // namespace

spool::spool(std::string spill_dir, std::size_t memory_limit, std::size_t chunk_bytes)
    : spill_dir_(std::move(spill_dir)), memory_limit_(memory_limit), chunk_bytes_(chunk_bytes) {
    cur_ = take_buffer();
}

spool::~spool() {
    if (spill_fd_ >= 0)
        ::close(spill_fd_);
}

std::vector<std::uint8_t> spool::take_buffer() {
    std::vector<std::uint8_t> b;
    {
        std::lock_guard lock(mu_);
        if (!free_.empty()) {
            b = std::move(free_.back());
            free_.pop_back();
        }
    }
    b.clear();
    b.reserve(chunk_bytes_);
    return b;
}

void spool::give_buffer(std::vector<std::uint8_t>&& b) {
    std::lock_guard lock(mu_);
    if (free_.size() < max_free_buffers && b.capacity() >= chunk_bytes_)
        free_.push_back(std::move(b));
}

void spool::append(std::span<const std::uint8_t> rec) {
    std::uint32_t n = static_cast<std::uint32_t>(rec.size());
    if (!cur_.empty() && cur_.size() + sizeof(n) + n > chunk_bytes_)
        publish();
    std::size_t at = cur_.size();
    cur_.resize(at + sizeof(n) + n);
    std::memcpy(cur_.data() + at, &n, sizeof(n));
    std::memcpy(cur_.data() + at + sizeof(n), rec.data(), n);
    ++cur_records_;
}

bool spool::spill(entry& e) {
    if (spill_fd_ < 0) {
        for (const std::string& dir : {spill_dir_, std::string("/var/tmp"), std::string("/tmp")}) {
            if (dir.empty())
                continue;
            spill_fd_ = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
            if (spill_fd_ >= 0) {
                spdlog::debug("the formatter is behind: spooling raw records to an unlinked file in {}", dir);
                break;
            }
        }
        if (spill_fd_ < 0)
            return false;
    }
    if (!write_all(spill_fd_, e.mem.data(), e.mem.size(), spill_end_))
        return false;
    e.file_off = spill_end_;
    e.file_len = e.mem.size();
    spill_end_ += e.file_len;
    spilled_ += e.file_len;
    return true;
}

void spool::publish() {
    if (cur_.empty())
        return;
    entry e;
    e.mem = std::move(cur_);
    e.records = cur_records_;
    cur_records_ = 0;
    std::vector<std::uint8_t> spent;
    {
        std::lock_guard lock(mu_);
        if (queued_mem_ + e.mem.size() > memory_limit_) {
            // Over the bound: this chunk waits in the file. Order is kept by the queue. If even
            // the file fails, the chunk stays in memory: memory beats losing evidence.
            if (spill(e))
                spent = std::move(e.mem);
            else
                spdlog::warn("cannot spool records to a temporary file ({}); keeping them in memory",
                             std::strerror(errno));
        }
        if (!e.mem.empty())
            queued_mem_ += e.mem.size();
        queue_.push_back(std::move(e));
        ++published_;
    }
    cv_.notify_all();
    if (!spent.empty())
        cur_ = std::move(spent);
    cur_.clear();
    if (cur_.capacity() < chunk_bytes_)
        cur_ = take_buffer();
}

std::size_t spool::consume(int timeout_ms,
                           const std::function<void(std::span<const std::uint8_t>)>& fn) {
    entry e;
    {
        std::unique_lock lock(mu_);
        if (queue_.empty() && timeout_ms > 0)
            cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return !queue_.empty() || wake_; });
        wake_ = false;
        if (queue_.empty())
            return 0;
        e = std::move(queue_.front());
        queue_.pop_front();
        queued_mem_ -= e.mem.size();
    }
    if (e.mem.empty() && e.file_len) {
        e.mem = take_buffer();
        e.mem.resize(e.file_len);
        if (!read_all(spill_fd_, e.mem.data(), e.mem.size(), e.file_off)) {
            spdlog::error("reading back spooled records failed: {}", std::strerror(errno));
            std::lock_guard lock(mu_);
            lost_ += e.records;
            ++consumed_;
            cv_.notify_all();
            return 0;
        }
    }
    std::size_t n = 0;
    std::size_t off = 0;
    while (off + sizeof(std::uint32_t) <= e.mem.size()) {
        std::uint32_t len;
        std::memcpy(&len, e.mem.data() + off, sizeof(len));
        off += sizeof(len);
        if (len > e.mem.size() - off)
            break; // cannot happen: we framed it ourselves
        fn(std::span<const std::uint8_t>(e.mem.data() + off, len));
        off += len;
        ++n;
    }
    give_buffer(std::move(e.mem));
    {
        std::lock_guard lock(mu_);
        ++consumed_;
    }
    cv_.notify_all();
    return n;
}

bool spool::empty() const {
    std::lock_guard lock(mu_);
    return queue_.empty();
}

std::uint64_t spool::published() const {
    std::lock_guard lock(mu_);
    return published_;
}

std::uint64_t spool::consumed() const {
    std::lock_guard lock(mu_);
    return consumed_;
}

bool spool::wait_consumed(std::uint64_t n, int timeout_ms) const {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return consumed_ >= n; });
}

std::uint64_t spool::spilled_bytes() const {
    std::lock_guard lock(mu_);
    return spilled_;
}

void spool::wake() {
    {
        std::lock_guard lock(mu_);
        wake_ = true;
    }
    cv_.notify_all();
}

std::uint64_t spool::lost_records() const {
    std::lock_guard lock(mu_);
    return lost_;
}

} // namespace glassbox::record
