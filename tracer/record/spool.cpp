// The spool between the recorder's drain and formatter threads (see spool.hpp): a FIFO of chunks
// of length-prefixed raw records, in memory up to a bound and in an unlinked temporary file
// beyond it. Sits between the ring buffer consumer and the decoder.
#include "record/spool.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <new>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

namespace glassbox::record {

namespace {

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

std::int64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
} // namespace

namespace {
constexpr std::size_t huge_page = 2u << 20;
}

chunk_buf::chunk_buf(std::size_t capacity) {
    std::size_t page = 4096;
    capacity = (capacity + page - 1) & ~(page - 1);
    bool huge = capacity >= huge_page;
    if (huge)
        capacity = (capacity + huge_page - 1) & ~(huge_page - 1);
    // Over-allocate by one huge page so that an aligned start exists inside the mapping.
    std::size_t len = capacity + (huge ? huge_page : 0);
    void* m = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        throw std::bad_alloc();
    map_ = m;
    map_len_ = len;
    auto addr = reinterpret_cast<std::uintptr_t>(m);
    if (huge) {
        addr = (addr + huge_page - 1) & ~(static_cast<std::uintptr_t>(huge_page) - 1);
        ::madvise(reinterpret_cast<void*>(addr), capacity, MADV_HUGEPAGE); // a hint: fine if refused
    }
    base_ = reinterpret_cast<std::uint8_t*>(addr);
    capacity_ = capacity;
}

chunk_buf::~chunk_buf() { release(); }

void chunk_buf::release() {
    if (map_)
        ::munmap(map_, map_len_);
    map_ = nullptr;
    base_ = nullptr;
    map_len_ = size_ = capacity_ = 0;
}

chunk_buf::chunk_buf(chunk_buf&& o) noexcept
    : base_(o.base_), map_(o.map_), map_len_(o.map_len_), size_(o.size_), capacity_(o.capacity_) {
    o.map_ = nullptr;
    o.base_ = nullptr;
    o.map_len_ = o.size_ = o.capacity_ = 0;
}

chunk_buf& chunk_buf::operator=(chunk_buf&& o) noexcept {
    if (this != &o) {
        release();
        base_ = o.base_;
        map_ = o.map_;
        map_len_ = o.map_len_;
        size_ = o.size_;
        capacity_ = o.capacity_;
        o.map_ = nullptr;
        o.base_ = nullptr;
        o.map_len_ = o.size_ = o.capacity_ = 0;
    }
    return *this;
}

void chunk_buf::resize(std::size_t n) {
    if (n > capacity_) {
        chunk_buf bigger(std::max(n, capacity_ * 2));
        if (size_)
            std::memcpy(bigger.data(), base_, size_);
        *this = std::move(bigger);
    }
    size_ = n;
}

namespace {
// Faults the chunk's pages in now, on the thread that can afford it (see chunk_buf).
void touch(chunk_buf& b) {
    for (std::size_t i = 0; i < b.capacity(); i += 4096)
        b.data()[i] = 0;
}
} // namespace

spool::spool(std::string spill_dir, std::size_t memory_limit, std::size_t chunk_bytes)
    : spill_dir_(std::move(spill_dir)), memory_limit_(memory_limit), chunk_bytes_(chunk_bytes),
      max_chunks_(memory_limit / chunk_bytes + spare_chunks) {
    // The chunk the drain thread fills first, faulted in now (a fault of a fresh page can stall
    // that thread, see chunk_buf). The spare chunks come later, from refill() (see spool.hpp):
    // faulting 8 MiB here cost ~10% of the start-up on the lab VM, where touching fresh memory
    // is slow, and the traced command waited for it.
    cur_ = chunk_buf(chunk_bytes_);
    touch(cur_);
    allocated_ = 1;
}

void spool::prepare() {
    for (std::size_t i = 0; i < spare_chunks; ++i)
        refill();
}

spool::~spool() {
    if (spill_fd_ >= 0)
        ::close(spill_fd_);
}

chunk_buf spool::take_buffer() {
    {
        std::lock_guard lock(mu_);
        if (!free_.empty()) {
            chunk_buf b = std::move(free_.back());
            free_.pop_back();
            b.clear();
            return b;
        }
    }
    return chunk_buf(chunk_bytes_);
}

void spool::give_buffer(chunk_buf&& b) {
    b.clear();
    std::lock_guard lock(mu_);
    if (free_.size() < max_chunks_ && b.capacity() >= chunk_bytes_)
        free_.push_back(std::move(b));
}

void spool::refill(std::size_t want) {
    {
        std::lock_guard lock(mu_);
        if (free_.size() >= std::min(want, spare_chunks) || allocated_ >= max_chunks_)
            return;
        ++allocated_;
    }
    chunk_buf b(chunk_bytes_);
    touch(b);
    give_buffer(std::move(b));
}

void spool::append(std::span<const std::uint8_t> rec) {
    std::uint32_t n = static_cast<std::uint32_t>(rec.size());
    if (!cur_.empty() && cur_.size() + sizeof(n) + n > chunk_bytes_)
        publish();
    // A chunk's age counts from its first record (one clock read per chunk): the drain thread
    // publishes every pass, so records wait in cur_ up to a pass before they are published.
    if (cur_records_ == 0)
        cur_first_ns_ = now_ns();
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
    return true;
}

void spool::publish() {
    if (cur_.empty())
        return;
    entry e;
    e.mem = std::move(cur_);
    e.records = cur_records_;
    e.first_ns = cur_first_ns_;
    cur_records_ = 0;
    bool to_file;
    {
        std::lock_guard lock(mu_);
        // Over the memory bound, or no ready chunk to continue in (the formatter, which adds
        // them, is behind): this chunk waits in the file and its memory is reused at once.
        to_file = queued_mem_ + e.mem.size() > memory_limit_ || free_.empty();
    }
    chunk_buf next;
    std::uint64_t spilled = 0;
    if (to_file) {
        // Outside the lock: only this thread writes the file; the formatter reads a chunk of
        // it only after the entry is queued below.
        if (spill(e)) {
            spilled = e.file_len;
            next = std::move(e.mem);
        } else {
            // Memory beats losing evidence: the chunk stays in memory.
            spdlog::warn("cannot spool records to a temporary file ({}); keeping them in memory",
                         std::strerror(errno));
        }
    }
    {
        std::lock_guard lock(mu_);
        spilled_ += spilled;
        queued_mem_ += e.mem.size();
        queue_.push_back(std::move(e));
        ++published_;
        if (!next.capacity() && !free_.empty()) {
            next = std::move(free_.back());
            free_.pop_back();
        }
    }
    cv_.notify_all();
    if (!next.capacity())
        next = chunk_buf(chunk_bytes_); // the file failed and no chunk is free: rare
    next.clear();
    cur_ = std::move(next);
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
        consuming_since_ns_ = e.first_ns;
    }
    if (e.mem.empty() && e.file_len) {
        e.mem = take_buffer();
        e.mem.resize(e.file_len);
        if (!read_all(spill_fd_, e.mem.data(), e.mem.size(), e.file_off)) {
            spdlog::error("reading back spooled records failed: {}", std::strerror(errno));
            std::lock_guard lock(mu_);
            lost_ += e.records;
            ++consumed_;
            consuming_since_ns_ = 0;
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
        consuming_since_ns_ = 0;
    }
    cv_.notify_all();
    refill(); // after the count: a drain() waiting for these records need not wait for the faults
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

std::int64_t spool::oldest_wait_ns() const {
    std::lock_guard lock(mu_);
    // The chunk being consumed is older than any queued one (FIFO).
    std::int64_t since = consuming_since_ns_ ? consuming_since_ns_ : queue_.empty() ? 0 : queue_.front().first_ns;
    return since ? std::max<std::int64_t>(1, now_ns() - since) : 0;
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
