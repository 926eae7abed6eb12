// The spool between draining the ring buffer and formatting the trace (see docs/recording.md,
// "Draining and formatting"). The drain thread copies raw kernel records into chunks and
// publishes them here; the formatter thread takes them in the same order and decodes them. So a
// burst costs the traced CPUs only the copy, and the JSON is written when there is CPU to spare.
// Memory is bounded: beyond `memory_limit` bytes of queued chunks, further chunks go to an
// unlinked temporary file and are read back in order. Nothing is ever dropped.
// Data path: ring buffer -> drain thread -> spool -> formatter thread -> decoder -> trace_writer.
#pragma once

#include <glassbox/error.hpp>

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <vector>

namespace glassbox::record {

// One chunk's memory: an anonymous mapping, 2 MiB aligned and marked MADV_HUGEPAGE when it is
// that large. On the lab VM (a PVM guest) a page fault costs ~23 us: filling fresh 4 KiB pages
// with ~200-byte records cost ~1 us per record in faults alone, more than formatting it. A
// huge page is one fault per 2 MiB. Unlike std::vector, growing the size does not zero it.
class chunk_buf {
public:
    chunk_buf() = default;
    explicit chunk_buf(std::size_t capacity);
    ~chunk_buf();
    chunk_buf(chunk_buf&& o) noexcept;
    chunk_buf& operator=(chunk_buf&& o) noexcept;
    chunk_buf(const chunk_buf&) = delete;
    chunk_buf& operator=(const chunk_buf&) = delete;

    std::uint8_t* data() { return base_; }
    const std::uint8_t* data() const { return base_; }
    std::size_t size() const { return size_; }
    std::size_t capacity() const { return capacity_; }
    bool empty() const { return size_ == 0; }
    void clear() { size_ = 0; }
    // Sets the size; the bytes beyond the old size are whatever was there (not zeroed). Grows
    // the mapping (keeping the contents) when n exceeds the capacity.
    void resize(std::size_t n);

private:
    void release();
    std::uint8_t* base_ = nullptr; // start of the usable (aligned) memory
    void* map_ = nullptr;          // the mapping as mmap returned it
    std::size_t map_len_ = 0;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;
};

class spool {
public:
    // Chunks are filled up to about chunk_bytes; spill files are created in spill_dir (falling
    // back to /var/tmp, then /tmp).
    explicit spool(std::string spill_dir, std::size_t memory_limit = 64u << 20,
                   std::size_t chunk_bytes = 2u << 20);
    ~spool();
    spool(const spool&) = delete;
    spool& operator=(const spool&) = delete;

    // ---- producer side (one thread) ----
    // Appends one record to the chunk being filled (publishing it first when full).
    void append(std::span<const std::uint8_t> rec);
    // Makes the records appended so far visible to the consumer.
    void publish();

    // Faults in one more spare chunk when fewer than `want` (at most spare_chunks) are ready and
    // the memory bound allows. Any thread: the consumer calls it after each chunk it consumed,
    // the recorder's drain thread before a publish that would find none (refill(1)) and after
    // a pass that found nothing to drain. Without a spare the producer continues in the file.
    void refill(std::size_t want = spare_chunks);
    // refill() until spare_chunks are ready.
    void prepare();

    // ---- consumer side (one thread) ----
    // Waits up to `timeout_ms` for a published chunk and calls `fn` for each of its records in
    // order. Returns the number of records handed to `fn` (0 on timeout).
    std::size_t consume(int timeout_ms, const std::function<void(std::span<const std::uint8_t>)>& fn);

    // ---- either side ----
    // True when every published chunk has been consumed (the one being filled does not count).
    bool empty() const;
    // Chunks published / fully consumed so far (drain() waits for the second to reach the first).
    std::uint64_t published() const;
    std::uint64_t consumed() const;
    // Waits until consumed() >= n (or the timeout); true when reached.
    bool wait_consumed(std::uint64_t n, int timeout_ms) const;
    // How long the oldest record not yet consumed has been in the spool, in ns: from the
    // append of the first record of the oldest chunk that is published and not yet fully handed
    // to the consumer (including the chunk the consumer is working through), or 0 when there is
    // none. The recorder raises the formatter's priority past a bound and lowers it again only at
    // 0 (docs/recording.md, "Durability"): a chunk the consumer has taken but not finished still
    // counts, or the formatter would be sent back to nice 19 in the middle of it.
    std::int64_t oldest_wait_ns() const;
    // Bytes that went to the spill file so far (for the logs and the tests).
    std::uint64_t spilled_bytes() const;
    // Wakes a consumer blocked in consume() (shutdown).
    void wake();
    // Set when writing or reading the spill file failed (the records of that chunk are lost,
    // counted here, and the trace says so).
    std::uint64_t lost_records() const;

private:
    struct entry {
        chunk_buf mem; // the chunk, or empty when it is in the file
        std::uint64_t file_off = 0;
        std::uint64_t file_len = 0;
        std::uint32_t records = 0;
        std::int64_t first_ns = 0; // CLOCK_MONOTONIC, when its first record was appended
    };
    chunk_buf take_buffer();
    void give_buffer(chunk_buf&& b);
    bool spill(entry& e); // producer only, without mu_
    static constexpr std::size_t spare_chunks = 4;

    std::string spill_dir_;
    std::size_t memory_limit_;
    std::size_t chunk_bytes_;
    chunk_buf cur_; // producer only
    std::uint32_t cur_records_ = 0;
    std::int64_t cur_first_ns_ = 0; // producer only: when cur_'s first record was appended

    mutable std::mutex mu_;
    mutable std::condition_variable cv_;
    std::deque<entry> queue_;
    std::size_t max_chunks_;
    std::vector<chunk_buf> free_; // ready chunks, pages already faulted in
    std::size_t allocated_ = 0;   // chunks made for free_ so far
    std::size_t queued_mem_ = 0;
    int spill_fd_ = -1;
    std::uint64_t spill_end_ = 0;
    std::uint64_t spilled_ = 0;
    std::uint64_t published_ = 0;
    std::uint64_t consumed_ = 0;
    std::uint64_t lost_ = 0;
    std::int64_t consuming_since_ns_ = 0; // first_ns of the chunk consume() is working through, or 0
    bool wake_ = false;
};

} // namespace glassbox::record
