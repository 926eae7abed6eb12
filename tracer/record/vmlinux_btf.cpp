// Faster loading of the kernel's BTF for libbpf (part of the recorder's start-up, see
// docs/recording.md "Start-up"). libbpf 1.1 reads /sys/kernel/btf/vmlinux (5+ MB) with stdio,
// which the kernel serves 4 KiB per read(): ~80 ms on the lab VM before the parse even starts.
// Kernels since 6.16 let the file be mmapped, which libbpf 1.6 uses; this defines libbpf's own
// public entry point btf__load_vmlinux_btf() (libbpf calls it through the PLT, so the
// executable's definition is the one used) to do the same: map the file and parse it from
// memory with btf__new(), which copies it. Where mapping fails (older kernel, no sysfs BTF) it
// falls back to libbpf's implementation, so the result is always the same BTF libbpf would load.
//
// The recorder may also parse it ahead (parse_vmlinux_btf_ahead(), while another thread creates
// the maps): libbpf's next call on the same thread then takes that copy instead of parsing again.
// Per thread, because the recorder loads two instances of its object at once, each with its own
// copy (libbpf frees it after the load). libbpf owns and frees whatever this returns.
// Data path: glassbox_record_bpf__load() -> libbpf (CO-RE, tp_btf attach ids) -> here.
#include <bpf/btf.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace {

thread_local struct btf* parsed_ahead = nullptr;

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
    if (struct btf* b = parsed_ahead) {
        parsed_ahead = nullptr;
        return b;
    }
    return load_vmlinux_btf();
}

namespace glassbox::record {
// Referenced by recorder::create() so that the linker takes this file out of the static library
// (nothing else names the symbol above from our side).
void use_fast_vmlinux_btf() {}

void drop_vmlinux_btf_ahead() {
    btf__free(parsed_ahead);
    parsed_ahead = nullptr;
}

void parse_vmlinux_btf_ahead() {
    drop_vmlinux_btf_ahead();
    parsed_ahead = load_vmlinux_btf();
}
} // namespace glassbox::record
