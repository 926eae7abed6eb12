// libFuzzer harness for the profile parser and the pattern matchers: any byte string parsed as a
// profile must give a profile or a line:column error, never a crash; whatever parses is then
// asked to match a few subjects, and the raw input is also compiled and matched as each kind of
// pattern (glob, endpoint, DNS name).
#include <glassbox/profile.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    namespace gp = glassbox::profile;
    if (auto p = gp::parse_profile(text, "fuzz.yaml")) {
        (void)p->allows_file_read("/etc/passwd");
        (void)p->allows_file_write("/tmp/clamav-1a2b3c/x");
        (void)p->allows_exec("/usr/bin/clamscan");
        (void)p->allows_connect("tcp", "192.0.2.1", 443);
        (void)p->allows_connect("udp", "2001:db8::1", 53);
        (void)p->allows_unix_connect("/run/clamav/clamd.ctl");
        (void)p->allows_dns("database.clamav.net");
        (void)p->allows_privileged("ptrace");
        (void)p->match_socket("inet", "stream");
        for (auto a : gp::all_file_access)
            for (const auto& r : p->files.of(a))
                (void)r.pattern.literal_prefix();
    } else {
        (void)p.error().message();
    }
    // The same bytes as single patterns (bounded: the matcher is the hot path in check).
    if (size <= 4096) {
        if (auto g = gp::glob::compile(text)) {
            (void)g->matches("/usr/lib/x86_64-linux-gnu/libc.so.6");
            (void)g->matches(text);
            (void)g->literal_prefix();
        }
        if (auto e = gp::endpoint_pattern::compile(text)) {
            (void)e->matches(gp::endpoint{"tcp", "10.1.2.3", 443});
            (void)e->matches(gp::endpoint{"unix", "", -1, "/run/x.sock"});
        }
        if (auto d = gp::dns_pattern::compile(text))
            (void)d->matches("a.b.example.com");
    }
    return 0;
}
