// The spool between the recorder's drain and formatter threads (tracer/record/spool.hpp): every
// record comes out once, in order, byte for byte, whether its chunk stayed in memory or went
// through the spill file; a producer and a consumer on two threads lose nothing; and the age the
// recorder bounds (oldest_wait_ns, docs/recording.md "Durability") covers every record not yet
// handed over whole.
#include "record/spool.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

using glassbox::record::spool;

namespace {
// Record i: a size that varies (so chunk boundaries fall anywhere) and bytes derived from i.
std::vector<std::uint8_t> make_record(std::uint32_t i) {
    std::vector<std::uint8_t> r(8 + (i * 37) % 300);
    std::memcpy(r.data(), &i, sizeof(i));
    for (std::size_t k = sizeof(i); k < r.size(); ++k)
        r[k] = static_cast<std::uint8_t>(i * 131 + k);
    return r;
}

// Consumes everything published; checks each record against make_record(expected++).
std::uint32_t check_all(spool& s, std::uint32_t expected) {
    while (s.consume(0, [&](std::span<const std::uint8_t> rec) {
        auto want = make_record(expected);
        REQUIRE(rec.size() == want.size());
        REQUIRE(std::memcmp(rec.data(), want.data(), want.size()) == 0);
        ++expected;
    }) > 0) {
    }
    return expected;
}
} // namespace

TEST_CASE("spool: records come out in order, in memory while the consumer keeps up") {
    spool s("/tmp", 64u << 20, 4096);
    s.prepare();
    std::uint32_t next = 0, seen = 0;
    for (int round = 0; round < 20; ++round) {
        for (int k = 0; k < 50; ++k) // ~2 chunks: fewer than the ready ones
            s.append(make_record(next++));
        s.publish();
        seen = check_all(s, seen);
    }
    CHECK(seen == 1000);
    CHECK(s.spilled_bytes() == 0);
    CHECK(s.empty());
    CHECK(s.consumed() == s.published());
}

TEST_CASE("spool: with no ready chunk left the producer spills instead of allocating") {
    spool s("/tmp", 64u << 20, 4096);
    s.prepare();
    for (std::uint32_t i = 0; i < 1000; ++i) // ~42 chunks, nobody consuming: 4 ready ones
        s.append(make_record(i));
    s.publish();
    CHECK(s.spilled_bytes() > 100u * 1024);
    CHECK(check_all(s, 0) == 1000);
    CHECK(s.lost_records() == 0);
}

TEST_CASE("spool: past its memory bound it spills to a file and still keeps the order") {
    // 16 KiB of memory, 4 KiB chunks: most of the ~170 KiB goes through the file.
    spool s("/tmp", 16u << 10, 4096);
    s.prepare();
    for (std::uint32_t i = 0; i < 1000; ++i)
        s.append(make_record(i));
    s.publish();
    CHECK(s.spilled_bytes() > 100u * 1024);
    CHECK(check_all(s, 0) == 1000);
    CHECK(s.lost_records() == 0);
    // Interleaved production and consumption after spilling: still in order.
    std::uint32_t next = 1000, seen = 1000;
    for (int round = 0; round < 5; ++round) {
        for (int k = 0; k < 300; ++k)
            s.append(make_record(next++));
        s.publish();
        seen = check_all(s, seen);
    }
    CHECK(seen == next);
}

TEST_CASE("spool: a record larger than a chunk gets a chunk of its own") {
    spool s("/tmp", 1u << 20, 1024);
    s.prepare();
    std::vector<std::uint8_t> big(5000, 0xab);
    s.append(make_record(0));
    s.append(big);
    s.append(make_record(1));
    s.publish();
    std::vector<std::size_t> sizes;
    while (s.consume(0, [&](std::span<const std::uint8_t> rec) { sizes.push_back(rec.size()); }) > 0) {
    }
    REQUIRE(sizes.size() == 3);
    CHECK(sizes[1] == 5000);
}

TEST_CASE("spool: a producer and a consumer thread lose nothing") {
    spool s("/tmp", 64u << 10, 8192);
    s.prepare();
    constexpr std::uint32_t n = 200000;
    std::thread producer([&] {
        for (std::uint32_t i = 0; i < n; ++i) {
            s.append(make_record(i));
            if (i % 1000 == 999)
                s.publish();
        }
        s.publish();
    });
    std::uint32_t expected = 0;
    bool ok = true;
    while (expected < n) {
        s.consume(50, [&](std::span<const std::uint8_t> rec) {
            auto want = make_record(expected);
            if (rec.size() != want.size() || std::memcmp(rec.data(), want.data(), want.size()) != 0)
                ok = false;
            ++expected;
        });
    }
    producer.join();
    CHECK(ok);
    CHECK(expected == n);
    CHECK(s.empty());
    CHECK(s.consumed() == s.published());
}

TEST_CASE("spool: a chunk's wait counts from its first record, not from its publish") {
    spool s("/tmp", 1u << 20, 4096);
    s.prepare();
    CHECK(s.oldest_wait_ns() == 0);
    s.append(make_record(0));
    // Records wait in the chunk being filled until the drain thread's next pass publishes it;
    // sleep_for never returns early, so at least this long has passed since the append.
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    CHECK(s.oldest_wait_ns() == 0); // not published: the recorder's check runs after a publish
    s.publish();
    CHECK(s.oldest_wait_ns() >= 30'000'000);
    CHECK(check_all(s, 0) == 1);
    CHECK(s.oldest_wait_ns() == 0);
}

TEST_CASE("spool: the chunk the consumer is working through still waits until it is done") {
    spool s("/tmp", 1u << 20, 4096);
    s.prepare();
    s.append(make_record(0));
    s.append(make_record(1));
    s.publish();
    // The queue is empty once the consumer took the chunk, but its records are not formatted
    // yet: a recorder that saw 0 here would lower the formatter's priority mid-chunk.
    std::vector<std::int64_t> seen;
    s.consume(0, [&](std::span<const std::uint8_t>) { seen.push_back(s.oldest_wait_ns()); });
    REQUIRE(seen.size() == 2);
    CHECK(seen[0] > 0);
    CHECK(seen[1] >= seen[0]);
    CHECK(s.oldest_wait_ns() == 0);
    // A queued chunk behind the one being consumed does not hide its age either.
    s.append(make_record(2));
    s.publish();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    s.append(make_record(3));
    s.publish();
    std::vector<std::int64_t> during;
    s.consume(0, [&](std::span<const std::uint8_t>) { during.push_back(s.oldest_wait_ns()); });
    REQUIRE(during.size() == 1);
    CHECK(during[0] >= 20'000'000); // the first chunk's age, not the second's
    CHECK(s.oldest_wait_ns() > 0);  // the second chunk still waits
    CHECK(check_all(s, 3) == 4);
    CHECK(s.oldest_wait_ns() == 0);
}
