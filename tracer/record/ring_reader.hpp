// A consumer of one BPF ring buffer map that releases the consumed space once per batch of
// records rather than once per record (libbpf 1.1's ring_buffer__consume stores the consumer
// position after every record). Every bpf_ringbuf_reserve() on a producer CPU reads that
// position: a store per record moves its cache line back and forth between the drain thread and
// the traced CPUs once per event. Used by the recorder's drain thread only (one consumer).
// Data path: gb_events (mmapped: consumer page, producer page, data pages mapped twice) -> here
// -> callback (the spool).
#pragma once

#include <glassbox/error.hpp>

#include <cstddef>
#include <cstdint>
#include <span>

namespace glassbox::record {

class ring_reader {
public:
    // Maps the ring of map `map_fd` (a BPF_MAP_TYPE_RINGBUF of `size` data bytes).
    static result<ring_reader> open(int map_fd, std::size_t size);
    ~ring_reader();
    ring_reader(ring_reader&& o) noexcept;
    ring_reader& operator=(ring_reader&&) = delete;
    ring_reader(const ring_reader&) = delete;

    // Waits up to timeout_ms for a wakeup from the BPF side (it wakes us only for a backlog) or
    // from wake().
    void wait(int timeout_ms);
    // Ends the current or next wait() at once (any thread): the end of a recording.
    void wake();
    // Hands every committed record to fn, in order; releases the space every `release_bytes`
    // and at the end. Returns the number of records.
    template <class F>
    std::size_t consume(F&& fn);

private:
    ring_reader() = default;
    int epoll_fd_ = -1;
    int wake_fd_ = -1; // eventfd in the epoll set
    void* consumer_page_ = nullptr;  // RW: consumer_pos
    void* producer_map_ = nullptr;   // RO: producer_pos page, then the data twice
    std::size_t producer_len_ = 0;
    std::size_t page_ = 4096;
    std::uint64_t mask_ = 0;
    const std::uint8_t* data_ = nullptr;
    std::uint64_t* consumer_pos_ = nullptr;
    const std::uint64_t* producer_pos_ = nullptr;
};

template <class F>
std::size_t ring_reader::consume(F&& fn) {
    constexpr std::uint32_t busy = 1u << 31, discard = 1u << 30, hdr = 8;
    constexpr std::uint64_t release_bytes = 256u << 10;
    std::size_t n = 0;
    std::uint64_t cons = __atomic_load_n(consumer_pos_, __ATOMIC_RELAXED); // we are its only writer
    std::uint64_t released = cons;
    const std::uint64_t stop_at = cons + mask_ + 1; // one ring's worth per call: the caller publishes
    for (;;) {
        std::uint64_t prod = __atomic_load_n(producer_pos_, __ATOMIC_ACQUIRE);
        if (cons >= prod || cons >= stop_at)
            break;
        while (cons < prod) {
            const std::uint8_t* rec = data_ + (cons & mask_);
            std::uint32_t len = __atomic_load_n(reinterpret_cast<const std::uint32_t*>(rec), __ATOMIC_ACQUIRE);
            if (len & busy)
                goto done; // reserved, not yet committed: the rest waits for the next pass
            std::uint32_t size = len & ~(busy | discard);
            if (!(len & discard)) {
                fn(std::span<const std::uint8_t>(rec + hdr, size));
                ++n;
            }
            cons += (static_cast<std::uint64_t>(size) + hdr + 7) & ~7ull;
            if (cons - released >= release_bytes) {
                __atomic_store_n(consumer_pos_, cons, __ATOMIC_RELEASE);
                released = cons;
            }
        }
    }
done:
    if (cons != released)
        __atomic_store_n(consumer_pos_, cons, __ATOMIC_RELEASE);
    return n;
}

} // namespace glassbox::record
