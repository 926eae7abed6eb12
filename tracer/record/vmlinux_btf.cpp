// Faster loading of the kernel's BTF for libbpf (part of the recorder's start-up, see
// docs/recording.md "Start-up"). libbpf 1.1 reads /sys/kernel/btf/vmlinux (5+ MB) with stdio,
// which the kernel serves 4 KiB per read(): ~80 ms on the lab VM before the parse even starts.
// Kernels since 6.16 let the file be mmapped, which libbpf 1.6 uses; this defines libbpf's own
// public entry point btf__load_vmlinux_btf() (libbpf calls it through the PLT, so the
// executable's definition is the one used) to do the same: map the file and parse it from
// memory with btf__new(), which copies it. Where mapping fails (older kernel, no sysfs BTF) it
// falls back to libbpf's implementation, so the result is always the same BTF libbpf would load.
//
// The recorder loads two instances of its object at once (recorder.cpp, load_split()), and each
// would parse its own copy: ~45 ms of CPU each, two thirds of it the first writes to the 5.5 MB
// copy (fresh memory is slow on the lab VM). So one parsed copy can be shared (vmlinux_btf.hpp):
// the announced number of btf__load_vmlinux_btf() calls, from any thread, wait for it and return
// it, and btf__free() (libbpf's, which libbpf also calls through the PLT, so it is defined here
// too) frees it only when the last of them lets go. libbpf only reads the kernel's BTF.
// Data path: glassbox_record_bpf__load() -> libbpf (CO-RE, tp_btf attach ids) -> here.
#include "record/vmlinux_btf.hpp"

#include <bpf/btf.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <utility>

namespace {

// The shared copy: handed out `takes` more times; `refs` holders have not freed it yet.
// `parsing`: announced and still being parsed; a caller then waits for it.
std::mutex share_mu;
std::condition_variable parsed;
bool parsing = false;
struct btf* shared = nullptr;
int takes = 0;
int refs = 0;

// libbpf's own btf__free(), which the definition below hides.
void libbpf_btf_free(struct btf* b) {
    using free_fn = void (*)(struct btf*);
    static free_fn f = reinterpret_cast<free_fn>(::dlsym(RTLD_NEXT, "btf__free"));
    if (f)
        f(b);
}

struct btf* load_vmlinux_btf() {
    int fd = ::open("/sys/kernel/btf/vmlinux", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        struct stat st{};
        void* p = MAP_FAILED;
        if (::fstat(fd, &st) == 0 && st.st_size > 0)
            p = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
        ::close(fd);
        if (p != MAP_FAILED) {
            struct btf* b = btf__new(p, static_cast<__u32>(st.st_size));
            int err = errno;
            ::munmap(p, static_cast<size_t>(st.st_size));
            if (b) // libbpf 1.x: NULL and errno on error
                return b;
            errno = err;
        }
    }
    // libbpf's own implementation (reads the file, or finds vmlinux images in /boot).
    using fn_t = struct btf* (*)(void);
    static fn_t next = reinterpret_cast<fn_t>(::dlsym(RTLD_NEXT, "btf__load_vmlinux_btf"));
    if (!next) {
        errno = ENOENT;
        return nullptr;
    }
    return next();
}

} // namespace

extern "C" struct btf* btf__load_vmlinux_btf(void) {
    {
        std::unique_lock lock(share_mu);
        parsed.wait(lock, [] { return !parsing; });
        if (shared && takes > 0) {
            --takes;
            ++refs;
            return shared;
        }
    }
    return load_vmlinux_btf();
}

extern "C" void btf__free(struct btf* b) {
    {
        std::lock_guard lock(share_mu);
        if (b && b == shared) {
            if (--refs > 0 || takes > 0)
                return;
            shared = nullptr;
        }
    }
    libbpf_btf_free(b);
}

namespace glassbox::record {
void use_fast_vmlinux_btf() {}

void announce_vmlinux_btf_share(int users) {
    std::lock_guard lock(share_mu);
    parsing = true;
    takes = users;
    refs = 0;
}

void parse_vmlinux_btf_share() {
    struct btf* b = load_vmlinux_btf(); // on failure each load tries on its own, and reports it
    {
        std::lock_guard lock(share_mu);
        parsing = false;
        shared = b;
        if (!b)
            takes = 0;
    }
    parsed.notify_all();
}

void end_vmlinux_btf_share() {
    struct btf* unused = nullptr;
    {
        std::lock_guard lock(share_mu);
        parsing = false;
        takes = 0;
        if (shared && refs == 0)
            std::swap(unused, shared);
    }
    parsed.notify_all();
    if (unused)
        libbpf_btf_free(unused);
}
} // namespace glassbox::record
