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

class spool {
public:
    // Chunks are filled up to about chunk_bytes; spill files are created in spill_dir (falling
    // back to /var/tmp, then /tmp).
    explicit spool(std::string spill_dir, std::size_t memory_limit = 64u << 20,
                   std::size_t chunk_bytes = 1u << 20);
    ~spool();
    spool(const spool&) = delete;
    spool& operator=(const spool&) = delete;

    // ---- producer side (one thread) ----
    // Appends one record to the chunk being filled (publishing it first when full).
    void append(std::span<const std::uint8_t> rec);
    // Makes the records appended so far visible to the consumer.
    void publish();

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
    // Bytes that went to the spill file so far (for the logs and the tests).
    std::uint64_t spilled_bytes() const;
    // Wakes a consumer blocked in consume() (shutdown).
    void wake();
    // Set when writing or reading the spill file failed (the records of that chunk are lost,
    // counted here, and the trace says so).
    std::uint64_t lost_records() const;

private:
    struct entry {
        std::vector<std::uint8_t> mem; // the chunk, or empty when it is in the file
        std::uint64_t file_off = 0;
        std::uint64_t file_len = 0;
        std::uint32_t records = 0;
    };
    std::vector<std::uint8_t> take_buffer();
    void give_buffer(std::vector<std::uint8_t>&& b);
    bool spill(entry& e); // with mu_ held

    std::string spill_dir_;
    std::size_t memory_limit_;
    std::size_t chunk_bytes_;
    std::vector<std::uint8_t> cur_; // producer only
    std::uint32_t cur_records_ = 0;

    mutable std::mutex mu_;
    mutable std::condition_variable cv_;
    std::deque<entry> queue_;
    std::vector<std::vector<std::uint8_t>> free_; // recycled chunk buffers (no page faults)
    std::size_t queued_mem_ = 0;
    int spill_fd_ = -1;
    std::uint64_t spill_end_ = 0;
    std::uint64_t spilled_ = 0;
    std::uint64_t published_ = 0;
    std::uint64_t consumed_ = 0;
    std::uint64_t lost_ = 0;
    bool wake_ = false;
};

} // namespace glassbox::record
