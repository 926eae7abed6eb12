// The one table of the syscalls recorded by bpf/record/syscalls.h (issue 3's coverage): for each
// x86-64 syscall number, its event kind, which arguments are user strings, dirfds, descriptors or
// target pids (loaded into the BPF map gb_sys_specs before attaching), and how the decoder names
// its fields in the trace (decode_coverage.cpp). Also the i386 -> x86-64 number map used for
// syscalls entered through int 0x80. Data path: recorder load -> load_coverage_tables() -> BPF
// maps; decoder -> find_syscall_spec() -> JSON field names.
#pragma once

#include <glassbox/error.hpp>
#include <glassbox/events.h>

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace glassbox::record {

// How a string argument appears in the trace. A name starting with '@' is a path: the field
// `<name>` holds the absolute path (the kernel-resolved directory joined with the string), and
// `raw_<name>` the string as passed (`raw_path` for "@path"). Other names are plain strings.
struct syscall_spec {
    int nr = -1;
    std::string_view name;
    gb_event_kind kind = GB_EV_NONE;
    std::array<std::uint8_t, GB_SYS_STRS> str{}; // 1 + argument index, 0 = none
    std::array<std::uint8_t, 2> dir{};           // dirfd of str[0]/str[1]: 1 + index, GB_SPEC_DIR_CWD
    std::uint8_t fd = 0;                         // 1 + index of a descriptor, or GB_SPEC_FD_RET
    std::uint8_t pid = 0;                        // 1 + index of a target pid (| GB_SPEC_PID_PIDFD)
    std::uint8_t bytes = 0;                      // 1 + index of a user struct copied ...
    std::uint8_t bytes_len = 0;                  // ... of this many bytes
    std::uint8_t flags = 0;                      // GB_SPEC_*
    std::array<const char*, 6> ints{};           // integer arguments written as named fields
    std::array<const char*, GB_SYS_STRS> strs{}; // field names of the strings (see above)
    int nargs = 0;                               // `args` array length (cred) / shown for abi32
};

std::span<const syscall_spec> syscall_specs();
const syscall_spec* find_syscall_spec(std::uint32_t nr);

// The x86-64 number of an i386 syscall, or -1 when it has no recorded equivalent.
int abi32_to_x86_64(std::uint32_t i386_nr);

// Fills the BPF maps gb_sys_specs (array by x86-64 number of struct gb_sys_spec) and gb_abi32_nr
// (array by i386 number of x86-64 numbers). Call after the skeleton is loaded, before attaching.
result<void> load_coverage_tables(int specs_map_fd, int abi32_map_fd);

} // namespace glassbox::record
