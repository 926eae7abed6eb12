// The kernel's BTF for libbpf, parsed once for both of the recorder's loads (vmlinux_btf.cpp,
// docs/recording.md "Start-up").
#pragma once

namespace glassbox::record {

// Referenced by recorder::create() so that the linker keeps vmlinux_btf.cpp, whose definitions
// of libbpf's btf__load_vmlinux_btf() and btf__free() nothing else names.
void use_fast_vmlinux_btf();

// Announces a shared copy for the next `users` calls of btf__load_vmlinux_btf() (from any thread:
// they wait until it is parsed), then parses it (call once, on any thread). If the parse fails,
// every caller parses on its own, as without sharing.
void announce_vmlinux_btf_share(int users);
void parse_vmlinux_btf_share();

// Ends the sharing, after the parsing thread is done (or when none was started): a copy nobody
// took is freed now, a taken one by the last btf__free() of its takers.
void end_vmlinux_btf_share();

} // namespace glassbox::record
