// The kernel's BTF parsed once for the recorder's two loads (tracer/record/vmlinux_btf.hpp): the
// announced callers of libbpf's btf__load_vmlinux_btf() get the same copy, from any thread, and
// it stays usable until the last of them frees it; later callers get copies of their own.
// Needs /sys/kernel/btf/vmlinux (readable without privileges).
#include "record/vmlinux_btf.hpp"

#include <bpf/btf.h>
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <thread>

namespace rec = glassbox::record;

namespace {
// False (and the test says why) when the kernel has no BTF file to parse.
bool have_vmlinux_btf() {
    struct stat st{};
    if (::stat("/sys/kernel/btf/vmlinux", &st) == 0)
        return true;
    WARN("skipped: this kernel has no /sys/kernel/btf/vmlinux");
    return false;
}

// A type every kernel's BTF has, looked up by name: the copy is whole and readable.
bool usable(const struct btf* b) {
    return b && btf__type_cnt(b) > 1000 && btf__find_by_name_kind(b, "task_struct", BTF_KIND_STRUCT) > 0;
}
} // namespace

TEST_CASE("the announced loads share one parsed copy of the kernel's BTF until the last frees it",
          "[record][btf]") {
    if (!have_vmlinux_btf())
        return;
    rec::use_fast_vmlinux_btf();
    rec::announce_vmlinux_btf_share(2);
    struct btf* first = nullptr;
    // The first taker asks before the parse is done, on another thread: it waits for the copy.
    std::thread taker([&] { first = btf__load_vmlinux_btf(); });
    rec::parse_vmlinux_btf_share();
    taker.join();
    struct btf* second = btf__load_vmlinux_btf();
    REQUIRE(usable(first));
    CHECK(second == first);
    // Both announced takes are used: the next caller parses a copy of its own.
    struct btf* own = btf__load_vmlinux_btf();
    REQUIRE(usable(own));
    CHECK(own != first);
    rec::end_vmlinux_btf_share();
    btf__free(first);
    CHECK(usable(second)); // one taker still holds it
    btf__free(second);
    btf__free(own);
}

TEST_CASE("a shared copy nobody took is freed at the end, and a failed share leaves loads working",
          "[record][btf]") {
    if (!have_vmlinux_btf())
        return;
    rec::announce_vmlinux_btf_share(2);
    rec::parse_vmlinux_btf_share();
    struct btf* taken = btf__load_vmlinux_btf();
    REQUIRE(usable(taken));
    rec::end_vmlinux_btf_share(); // one take unused: the copy lives on with its one holder
    CHECK(usable(taken));
    btf__free(taken);
    // Announced but never parsed (the parsing thread could not start): ending it must not leave
    // libbpf's next call waiting for a parse.
    rec::announce_vmlinux_btf_share(1);
    rec::end_vmlinux_btf_share();
    struct btf* fresh = btf__load_vmlinux_btf();
    CHECK(usable(fresh));
    btf__free(fresh);
}
