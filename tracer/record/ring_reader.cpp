// Mapping and waiting for the batch-releasing ring buffer consumer (see ring_reader.hpp). The
// layout is the kernel's (kernel/bpf/ringbuf.c): page 0 holds consumer_pos (mapped writable),
// page 1 producer_pos, then the data pages, mapped twice in a row so that a record that wraps
// around the end is contiguous in memory. Sits between the BPF ring buffer and the drain thread.
#include "record/ring_reader.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

namespace glassbox::record {

result<ring_reader> ring_reader::open(int map_fd, std::size_t size) {
    ring_reader r;
    r.page_ = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    r.mask_ = size - 1;
    auto fail = [&](const char* what) {
        return std::unexpected(error{fmt::format("cannot map the ring buffer ({}): {}", what, std::strerror(errno))});
    };
    r.consumer_page_ = ::mmap(nullptr, r.page_, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
    if (r.consumer_page_ == MAP_FAILED) {
        r.consumer_page_ = nullptr;
        return fail("consumer page");
    }
    r.producer_len_ = r.page_ + 2 * size;
    r.producer_map_ = ::mmap(nullptr, r.producer_len_, PROT_READ, MAP_SHARED, map_fd, static_cast<off_t>(r.page_));
    if (r.producer_map_ == MAP_FAILED) {
        r.producer_map_ = nullptr;
        return fail("data pages");
    }
    r.consumer_pos_ = static_cast<std::uint64_t*>(r.consumer_page_);
    r.producer_pos_ = static_cast<const std::uint64_t*>(r.producer_map_);
    r.data_ = static_cast<const std::uint8_t*>(r.producer_map_) + r.page_;
    r.epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (r.epoll_fd_ < 0)
        return fail("epoll");
    // Edge-triggered: the ring reports "readable" whenever any byte is waiting, so a
    // level-triggered wait would return at once during a burst and the drain thread would spin
    // one pass per few records. Woken only by the BPF side's forced wakeups (a 256 KiB backlog),
    // the drain thread otherwise sleeps for its timeout and then takes a large batch.
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLET;
    if (::epoll_ctl(r.epoll_fd_, EPOLL_CTL_ADD, map_fd, &ev) != 0)
        return fail("epoll_ctl");
    r.wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (r.wake_fd_ < 0)
        return fail("eventfd");
    epoll_event wev{};
    wev.events = EPOLLIN;
    wev.data.u32 = 1;
    if (::epoll_ctl(r.epoll_fd_, EPOLL_CTL_ADD, r.wake_fd_, &wev) != 0)
        return fail("epoll_ctl");
    return r;
}

ring_reader::ring_reader(ring_reader&& o) noexcept
    : epoll_fd_(o.epoll_fd_), wake_fd_(o.wake_fd_), consumer_page_(o.consumer_page_), producer_map_(o.producer_map_),
      producer_len_(o.producer_len_), page_(o.page_), mask_(o.mask_), data_(o.data_),
      consumer_pos_(o.consumer_pos_), producer_pos_(o.producer_pos_) {
    o.epoll_fd_ = -1;
    o.wake_fd_ = -1;
    o.consumer_page_ = nullptr;
    o.producer_map_ = nullptr;
}

ring_reader::~ring_reader() {
    if (producer_map_)
        ::munmap(producer_map_, producer_len_);
    if (consumer_page_)
        ::munmap(consumer_page_, page_);
    if (epoll_fd_ >= 0)
        ::close(epoll_fd_);
    if (wake_fd_ >= 0)
        ::close(wake_fd_);
}

void ring_reader::wait(int timeout_ms) {
    epoll_event ev[2]{};
    int n = ::epoll_wait(epoll_fd_, ev, 2, timeout_ms);
    for (int i = 0; i < n; ++i)
        if (ev[i].data.u32 == 1) {
            std::uint64_t v;
            (void)!::read(wake_fd_, &v, sizeof(v));
        }
}

void ring_reader::wake() {
    std::uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof(one));
}

} // namespace glassbox::record
