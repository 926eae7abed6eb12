// Unit tests of `glassbox scan` over the test programs built by tests/scan.cmake: exact syscall
// surfaces of binaries with known sites, stripped/truncated/corrupt/other-arch inputs, dependency
// resolution, --diff and --against, and the CLI's exit codes and JSON.
#include <glassbox/scan.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "scan/elf_reader.hpp"
#include "scan/ld_resolver.hpp"
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace glassbox::scan;

namespace {

// fs::path rather than string concatenation: g++ 12 -O2 reports a false -Warray-bounds on the
// latter once Catch2 comes from a precompiled header.
std::string prog(const std::string& name) {
    return (fs::path(GLASSBOX_SCAN_PROGRAMS) / name).string();
}

std::set<std::string> labels(const surface& s) {
    std::set<std::string> out;
    for (const auto& [id, ev] : s)
        out.insert(syscall_label(id));
    return out;
}

const site* site_in(const binary_report& r, const std::string& function_prefix) {
    for (const auto& s : r.sites)
        if (s.function.rfind(function_prefix, 0) == 0)
            return &s;
    return nullptr;
}

std::vector<std::int64_t> sorted(std::vector<std::int64_t> v) {
    std::sort(v.begin(), v.end());
    return v;
}

binary_report scan_one(const std::string& path, bool deps = true) {
    scan_options o;
    o.follow_dependencies = deps;
    scanner s(o);
    return s.scan_file(path);
}

struct cmd_result {
    int status;
    std::string out;
};

cmd_result run(const std::string& cmd) {
    cmd_result r{};
    FILE* p = popen((cmd + " 2>/dev/null").c_str(), "r");
    REQUIRE(p);
    char buf[4096];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0)
        r.out.append(buf, n);
    int st = pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

std::string instantiate(const std::string& templ, const std::string& exe) {
    std::ifstream in(std::string(GLASSBOX_SOURCE_DIR) + "/tests/data/scan/" + templ);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    for (std::size_t p; (p = text.find("@EXE@")) != std::string::npos;)
        text.replace(p, 5, exe);
    // Unique per process: ctest runs test cases in parallel and several use the same template.
    auto out = fs::temp_directory_path() / ("glassbox-scan-test-" + std::to_string(getpid()) + "-" +
                                            templ.substr(0, templ.size() - 3));
    std::ofstream(out) << text;
    return out.string();
}

} // namespace

TEST_CASE("inline syscall sites: every recovery form gives the exact number", "[scan]") {
    auto r = scan_one(prog("scan_inline"), false);
    REQUIRE(r.error.empty());
    CHECK(r.arch == "x86-64");
    CHECK_FALSE(r.stripped);
    struct expect {
        const char* fn;
        abi table;
        std::vector<std::int64_t> numbers;
    };
    for (const auto& e :
         {expect{"sc_getpid_imm", abi::x86_64, {39}}, expect{"sc_read_xor", abi::x86_64, {0}},
          expect{"sc_getuid_regmove", abi::x86_64, {102}},
          expect{"sc_getppid_pushpop", abi::x86_64, {110}},
          expect{"sc_branches", abi::x86_64, {60, 231}},
          expect{"sc_movabs_kill", abi::x86_64, {62}}, expect{"sc_int80", abi::i386, {20}},
          expect{"sc_sysenter", abi::i386, {26}}}) {
        INFO(e.fn);
        const site* s = site_in(r, e.fn);
        REQUIRE(s);
        CHECK(s->table == e.table);
        CHECK(sorted(s->numbers) == e.numbers);
        CHECK(s->resolved);
    }
    const site* u = site_in(r, "sc_unresolved");
    REQUIRE(u);
    CHECK_FALSE(u->resolved);
    CHECK(u->numbers.empty());
    CHECK(u->note.find("memory") != std::string::npos);
    CHECK(r.unresolved_sites == 1);
    CHECK(labels(r.own) == std::set<std::string>{"read", "getpid", "exit", "kill", "getuid",
                                                 "getppid", "exit_group", "i386:getpid",
                                                 "i386:ptrace"});
    CHECK(site_in(r, "sc_int80")->instruction == "int 0x80");
    CHECK(site_in(r, "sc_sysenter")->instruction == "sysenter");
}

TEST_CASE("a stripped copy has the same surface, with functions from .eh_frame", "[scan]") {
    auto full = scan_one(prog("scan_inline"), false);
    auto r = scan_one(prog("scan_inline_stripped"), false);
    REQUIRE(r.error.empty());
    CHECK(r.stripped);
    CHECK(r.function_source.find("eh_frame") != std::string::npos);
    CHECK(labels(r.own) == labels(full.own));
    REQUIRE(r.sites.size() == full.sites.size());
    for (std::size_t i = 0; i < r.sites.size(); ++i) {
        CHECK(r.sites[i].address == full.sites[i].address);
        CHECK(sorted(r.sites[i].numbers) == sorted(full.sites[i].numbers));
        CHECK(r.sites[i].function.rfind("fn_0x", 0) == 0);
    }
}

TEST_CASE("stripped without .eh_frame: function starts from the code give the exact same sites",
          "[scan]") {
    // No symbols and no unwind tables: the starts come from the sweep (call targets, prologues).
    // Every site must be found at the same address with the same numbers as in the unstripped
    // build, including those only resolved through the local syscall() and my_wrapper()
    // dispatchers of the static binary, which need their function boundaries.
    for (auto [full_name, bare_name] : {std::pair{"scan_inline", "scan_inline_noeh"},
                                        std::pair{"scan_libc_syscall_static", "scan_libc_syscall_static_noeh"}}) {
        INFO(bare_name);
        auto full = scan_one(prog(full_name), false);
        auto r = scan_one(prog(bare_name), false);
        REQUIRE(r.error.empty());
        CHECK(r.stripped);
        CHECK(r.function_source.find("eh_frame") == std::string::npos);
        CHECK(r.function_source.find("sweep") != std::string::npos);
        CHECK(labels(r.own) == labels(full.own));
        CHECK(r.unresolved_sites == full.unresolved_sites);
        REQUIRE(r.sites.size() == full.sites.size());
        for (std::size_t i = 0; i < r.sites.size(); ++i) {
            INFO(full.sites[i].function << " " << full.sites[i].instruction);
            CHECK(r.sites[i].address == full.sites[i].address);
            CHECK(sorted(r.sites[i].numbers) == sorted(full.sites[i].numbers));
            CHECK(r.sites[i].resolved == full.sites[i].resolved);
            CHECK(r.sites[i].dispatcher == full.sites[i].dispatcher);
        }
    }
    auto r = scan_one(prog("scan_libc_syscall_static_noeh"), false);
    auto own = labels(r.own);
    for (auto n : {"ptrace", "init_module", "bpf"})
        CHECK(own.count(n));
}

TEST_CASE("calls through libc syscall() are resolved at the call site, wrappers at theirs",
          "[scan]") {
    for (const char* name : {"scan_libc_syscall", "scan_libc_syscall_noplt"}) {
        INFO(name);
        auto r = scan_one(prog(name), false);
        REQUIRE(r.error.empty());
        CHECK(labels(r.own) == std::set<std::string>{"ptrace", "init_module", "bpf"});
        CHECK(r.unresolved_sites == 1);
        const site* w = site_in(r, "my_wrapper");
        REQUIRE(w);
        CHECK(w->dispatcher);
        CHECK(w->note.find("argument 1") != std::string::npos);
        bool via_wrapper = false;
        for (const auto& s : r.sites)
            via_wrapper |= s.instruction.find("my_wrapper") != std::string::npos &&
                           s.numbers == std::vector<std::int64_t>{321};
        CHECK(via_wrapper);
        std::set<std::string> forms;
        for (const auto& s : r.sites)
            forms.insert(s.instruction);
        if (std::string(name) == "scan_libc_syscall_noplt")
            CHECK((forms.count("call *syscall@GOT") || forms.count("jmp *syscall@GOT")));
        else
            CHECK((forms.count("call syscall") || forms.count("jmp syscall")));
    }
}

TEST_CASE("a static binary: libc's syscall() is found as a dispatcher in the binary itself",
          "[scan]") {
    auto r = scan_one(prog("scan_libc_syscall_static"), false);
    REQUIRE(r.error.empty());
    CHECK(r.dependencies.empty());
    auto own = labels(r.own);
    for (auto n : {"ptrace", "init_module", "bpf", "exit_group", "write"})
        CHECK(own.count(n));
    const site* d = site_in(r, "syscall");
    REQUIRE(d);
    CHECK(d->dispatcher);
}

TEST_CASE("plain libc imports are mapped to their syscalls", "[scan]") {
    auto r = scan_one(prog("scan_imports"), false);
    REQUIRE(r.error.empty());
    auto own = labels(r.own);
    for (auto n : {"openat", "socket", "connect", "ptrace", "execve"})
        CHECK(own.count(n));
    for (const auto& [id, ev] : r.own)
        for (const auto& e : ev)
            CHECK(e.kind == "import");
    CHECK(r.sites.empty());
}

TEST_CASE("dependencies are resolved like ld.so and widen the surface", "[scan]") {
    auto r = scan_one(prog("scan_imports"));
    REQUIRE(r.error.empty());
    bool libc = false, interp = false;
    for (const auto& d : r.dependencies) {
        if (d.name == "libc.so.6") {
            libc = !d.path.empty() && fs::exists(d.path);
            CHECK(d.via == "needed");
        }
        if (d.via == "interpreter")
            interp = !d.path.empty();
    }
    CHECK(libc);
    CHECK(interp);
    CHECK(r.all.size() > r.own.size());
    for (const auto& [id, ev] : r.own)
        CHECK(r.all.count(id));
    CHECK(labels(r.all).count("mmap")); // made by ld.so and libc, not by the program's own code
}

TEST_CASE("bad input: one clear line per file and the scan goes on", "[scan]") {
    struct expect {
        const char* file;
        const char* words;
    };
    for (const auto& e : {expect{"scan_inline_truncated", "past the end"},
                          expect{"scan_inline_corrupt", "section headers"},
                          expect{"scan_i386.o", "32-bit i386 ELF: unsupported architecture"},
                          expect{"scan_not_elf.txt", "not an ELF file"}}) {
        INFO(e.file);
        auto r = scan_one(prog(e.file));
        CHECK(r.error.find(e.words) != std::string::npos);
        CHECK(r.error.find('\n') == std::string::npos);
    }
    scan_options o;
    scanner s(o);
    scan_stats st;
    auto reports =
        s.scan_paths({GLASSBOX_SCAN_PROGRAMS, prog("scan_not_elf.txt"), prog("no-such-file")}, st);
    CHECK(st.scanned >= 6);
    CHECK(st.non_elf >=
          2); // scan_not_elf.txt and scan_blob.bin under the directory, skipped quietly
    std::size_t errors = 0;
    for (const auto& r : reports)
        errors += !r.error.empty();
    CHECK(errors ==
          5); // truncated, corrupt, i386 in the tree; the named non-ELF file; the missing file
}

TEST_CASE("other architectures and hand-made headers are named, not crashed on", "[scan]") {
    std::vector<std::byte> buf(64);
    const unsigned char hdr[] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};
    std::memcpy(buf.data(), hdr, sizeof hdr);
    buf[16] = std::byte{2};   // ET_EXEC
    buf[18] = std::byte{183}; // EM_AARCH64
    auto r = read_elf(buf);
    REQUIRE_FALSE(r);
    CHECK(r.error().message ==
          "64-bit aarch64 ELF: unsupported architecture (only x86-64 code is scanned)");
    std::vector<std::byte> tiny(10);
    std::memcpy(tiny.data(), hdr, 8);
    CHECK(read_elf(tiny).error().message == "truncated ELF header");
    std::vector<std::byte> text(100, std::byte{'a'});
    CHECK(read_elf(text).error().message == "not an ELF file");
}

TEST_CASE("sha256 matches the standard vectors", "[scan]") {
    CHECK(sha256_hex("", 0) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256_hex("abc", 3) ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    std::string m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    CHECK(sha256_hex(m.data(), m.size()) ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("ld_resolver: sysroot, ld.so.conf includes, absolute symlinks stay inside the root",
          "[scan]") {
    auto root = fs::temp_directory_path() / ("glassbox-scan-sysroot-" + std::to_string(getpid()));
    fs::remove_all(root);
    fs::create_directories(root / "etc/ld.so.conf.d");
    fs::create_directories(root / "opt/vendor/lib");
    fs::create_directories(root / "usr/lib/x86_64-linux-gnu");
    std::ofstream(root / "etc/ld.so.conf") << "# test\ninclude /etc/ld.so.conf.d/*.conf\n";
    std::ofstream(root / "etc/ld.so.conf.d/vendor.conf") << "/opt/vendor/lib\n";
    fs::copy_file(prog("scan_inline"), root / "opt/vendor/lib/libvendor.so.1");
    fs::copy_file(prog("scan_inline"), root / "usr/lib/x86_64-linux-gnu/libsys.so.2");
    fs::create_directory_symlink("/usr/lib", root / "lib"); // absolute: must resolve inside root
    fs::copy_file(prog("scan_not_elf.txt"), root / "opt/vendor/lib/libtext.so");
    ld_resolver ld(root.string());
    CHECK(std::find(ld.system_dirs().begin(), ld.system_dirs().end(), "/opt/vendor/lib") !=
          ld.system_dirs().end());
    CHECK(ld.resolve("libvendor.so.1", "/x", {}, {}, {}) ==
          (root / "opt/vendor/lib/libvendor.so.1").string());
    CHECK(ld.resolve("libsys.so.2", "/x", {}, {}, {}) ==
          (root / "usr/lib/x86_64-linux-gnu/libsys.so.2").string());
    CHECK(ld.host_path("/lib/x86_64-linux-gnu/libsys.so.2") ==
          (root / "usr/lib/x86_64-linux-gnu/libsys.so.2").string());
    CHECK(ld.resolve("libtext.so", "/x", {}, {}, {}).empty()); // not ELF: skipped like ld.so does
    CHECK(ld.resolve("libc.so.6", "/x", {}, {}, {}).empty()); // the host's libc is outside the root
    // $ORIGIN in RUNPATH is relative to the requesting object (a host path).
    auto origin_dir = root / "opt/vendor/bin";
    fs::create_directories(origin_dir);
    CHECK(ld.resolve("libvendor.so.1", (origin_dir / "agent").string(), {"$ORIGIN/../lib"}, {},
                     {}) == (origin_dir / "../lib/libvendor.so.1").string());
    fs::remove_all(root);
}

TEST_CASE("diff: new syscalls and sensitive imports are ranked and flagged as new capability",
          "[scan]") {
    scan_options o;
    o.follow_dependencies = false;
    scanner s(o);
    scan_stats st;
    auto old_r = s.scan_paths({prog("scan_imports")}, st);
    auto new_r = s.scan_paths({prog("scan_libc_syscall")}, st);
    auto d = diff_reports(old_r, {"agent"}, new_r, {"agent"});
    CHECK(d.new_capability);
    REQUIRE_FALSE(d.findings.empty());
    CHECK(d.findings.front().risk >= 100); // init_module / bpf are privileged
    bool bpf = false;
    for (const auto& f : d.findings)
        bpf |= f.kind == "new-syscall" && f.subject == "bpf" && f.new_capability;
    CHECK(bpf);
    for (std::size_t i = 1; i < d.findings.size(); ++i)
        CHECK(d.findings[i - 1].risk >= d.findings[i].risk);
    auto same = diff_reports(old_r, {"agent"}, old_r, {"agent"});
    CHECK_FALSE(same.new_capability);
    CHECK(same.findings.empty());
}

TEST_CASE("diff: a syscall newly issued through syscall() is new even when an import reached it",
          "[scan]") {
    // OLD renames through rename() (whose libc wrapper may make renameat2); NEW also calls
    // syscall(SYS_renameat2, ...) with a constant number, as clamscan 1.4.6's quarantine does.
    scan_options o;
    o.follow_dependencies = false;
    scanner s(o);
    scan_stats st;
    auto old_r = s.scan_paths({prog("scan_rename_import")}, st);
    auto new_r = s.scan_paths({prog("scan_rename_syscall")}, st);
    REQUIRE(old_r.size() == 1);
    REQUIRE(new_r.size() == 1);
    REQUIRE(old_r[0].own.contains({abi::x86_64, 316})); // through the rename import
    auto d = diff_reports(old_r, {"agent"}, new_r, {"agent"});
    const diff_finding* f = nullptr;
    for (const auto& x : d.findings)
        if (x.kind == "new-syscall" && x.subject == "renameat2")
            f = &x;
    REQUIRE(f != nullptr);
    CHECK(f->new_capability);
    CHECK(d.new_capability);
    CHECK(f->detail.find("syscall") != std::string::npos); // the site: "call syscall"
    CHECK(f->detail.find("rename") != std::string::npos);  // the import OLD used
    // The other way round nothing is new: OLD's direct site covers NEW's import.
    auto back = diff_reports(new_r, {"agent"}, old_r, {"agent"});
    for (const auto& x : back.findings)
        CHECK_FALSE((x.kind == "new-syscall" && x.subject == "renameat2"));
}

TEST_CASE("against a trace: observed syscalls inside the surface, missing ones listed", "[scan]") {
    auto r = scan_one(prog("scan_libc_syscall"));
    REQUIRE(r.error.empty());
    auto ok = check_against(
        r, instantiate("against_ok.jsonl.in", fs::canonical(prog("scan_libc_syscall")).string()));
    REQUIRE(ok);
    CHECK(ok->events_matched == 5); // the exec is the launcher's, the other process is ignored
    CHECK(ok->missing.empty());
    CHECK(ok->trace_complete);
    CHECK(ok->not_exercised.empty());
    std::set<std::string> seen;
    for (const auto& o : ok->observed)
        seen.insert(o.name);
    CHECK(seen == std::set<std::string>{"openat", "ptrace", "init_module", "bpf",
                                        "exit (exit_group|exit)"});

    auto bad = check_against(r, instantiate("against_missing.jsonl.in",
                                            fs::canonical(prog("scan_libc_syscall")).string()));
    REQUIRE(bad);
    CHECK(bad->missing == std::vector<std::string>{"i386:exit", "kexec_load"});
    CHECK_FALSE(bad->trace_complete);
    CHECK(bad->not_exercised == std::vector<std::string>{"init_module", "bpf"});

    auto none = check_against(r, "/nonexistent/trace.jsonl");
    CHECK_FALSE(none);
}

TEST_CASE("CLI: exit codes, JSON, profile and --help", "[scan][cli]") {
    std::string bin = GLASSBOX_BIN;
    auto j = run(bin + " scan --format json --no-deps " + prog("scan_inline") + " " +
                 prog("scan_inline_truncated"));
    CHECK(j.status == 0);
    auto doc = nlohmann::json::parse(j.out);
    CHECK(doc["format"] == "glassbox-scan");
    CHECK(doc["binaries"].size() == 1);
    CHECK(doc["errors"].size() == 1);
    CHECK(doc["binaries"][0]["unresolved_sites"] == 1);

    CHECK(run(bin + " scan " + prog("scan_not_elf.txt")).status == 2);
    CHECK(run(bin + " scan --diff " + prog("scan_imports") + " " + prog("scan_libc_syscall"))
              .status == 1);
    CHECK(run(bin + " scan --diff " + prog("scan_imports") + " " + prog("scan_imports")).status ==
          0);
    auto md = run(bin + " scan --format markdown --diff " + prog("scan_imports") + " " +
                  prog("scan_libc_syscall"));
    CHECK(md.out.find("| risk | finding |") != std::string::npos);

    auto prof = run(bin + " scan --profile --name t " + prog("scan_libc_syscall"));
    CHECK(prof.status == 0);
    CHECK(prof.out.find("apiVersion: glassbox/v1\nkind: Profile\n") != std::string::npos);
    CHECK(prof.out.find("\n  - bpf\n") != std::string::npos);
    CHECK(prof.out.find("\n  - init_module\n") != std::string::npos);

    auto t =
        instantiate("against_missing.jsonl.in", fs::canonical(prog("scan_libc_syscall")).string());
    // The trace has no summary: refused (2) with one line saying so, unless accepted.
    auto refused = run(bin + " scan " + prog("scan_libc_syscall") + " --against " + t);
    CHECK(refused.status == 2);
    CHECK(run(bin + " scan " + prog("scan_libc_syscall") + " --against " + t + " --accept-partial").status == 1);
}

#include <glassbox/profile.hpp>

TEST_CASE("the --profile document parses as a glassbox/v1 profile with the same syscalls",
          "[scan]") {
    auto r = scan_one(prog("scan_libc_syscall"));
    REQUIRE(r.error.empty());
    std::string yaml = profile_yaml({r}, "scan-test");
    auto p = glassbox::profile::parse_profile(yaml, "scan-profile");
    if (!p)
        FAIL(p.error().message());
    REQUIRE(p->syscalls);
    CHECK(p->name == "scan-test");
    std::set<std::string> listed;
    for (const auto& n : *p->syscalls)
        listed.insert(n.pattern);
    std::set<std::string> expected;
    for (const auto& [id, ev] : r.all)
        if (id.table == abi::x86_64)
            expected.insert(std::string(syscall_name(id.table, id.nr)));
    CHECK(listed == expected);
    CHECK(p->allows_syscall("bpf"));
    CHECK_FALSE(p->allows_syscall("kexec_load"));
}

TEST_CASE("socket families and types are recovered at socket() and syscall(SYS_socket) calls",
          "[scan]") {
    auto r = scan_one(prog("scan_sockets"), false);
    REQUIRE(r.error.empty());
    std::set<std::string> kinds;
    for (const auto& u : r.sockets)
        for (const auto& k : socket_kinds(u))
            kinds.insert(k);
    CHECK(kinds == std::set<std::string>{"packet/raw", "inet/stream", "netlink/dgram", "inet/raw"});
    CHECK(socket_kind_sensitive("packet/raw"));
    CHECK(socket_kind_sensitive("inet/raw"));
    CHECK(socket_kind_sensitive("netlink/dgram"));
    CHECK_FALSE(socket_kind_sensitive("inet/stream"));
    // An update that adds a packet socket is a new capability.
    auto old_r = scan_one(prog("scan_imports"), false);
    auto d = diff_reports({old_r}, {"agent"}, {r}, {"agent"});
    bool packet = false;
    for (const auto& f : d.findings)
        packet |= f.kind == "new-socket-kind" && f.subject == "packet/raw" && f.new_capability;
    CHECK(packet);
}

namespace {

// A minimal x86-64 executable without section headers: one PT_LOAD holding `code`.
std::vector<unsigned char> tiny_elf(const std::vector<unsigned char>& code) {
    std::vector<unsigned char> f(64 + 56 + code.size(), 0);
    const unsigned char ident[] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
    std::memcpy(f.data(), ident, sizeof ident);
    auto put16 = [&](std::size_t o, std::uint16_t v) { std::memcpy(f.data() + o, &v, 2); };
    auto put32 = [&](std::size_t o, std::uint32_t v) { std::memcpy(f.data() + o, &v, 4); };
    auto put64 = [&](std::size_t o, std::uint64_t v) { std::memcpy(f.data() + o, &v, 8); };
    put16(16, 2);              // ET_EXEC
    put16(18, 62);             // EM_X86_64
    put32(20, 1);              // EV_CURRENT
    put64(24, 0x400000 + 120); // e_entry
    put64(32, 64);             // e_phoff
    put16(52, 64);             // e_ehsize
    put16(54, 56);             // e_phentsize
    put16(56, 1);              // e_phnum
    put32(64, 1);              // PT_LOAD
    put32(68, 5);              // R+X
    put64(72, 0);              // p_offset
    put64(80, 0x400000);       // p_vaddr
    put64(88, 0x400000);       // p_paddr
    put64(96, 120 + code.size());
    put64(104, 120 + code.size());
    put64(112, 0x1000);
    std::copy(code.begin(), code.end(), f.begin() + 120);
    return f;
}

} // namespace

TEST_CASE("an enormous code segment full of syscall bytes is analysed in bounded time and memory",
          "[scan]") {
    std::vector<unsigned char> code;
    const unsigned char mov60[] = {0xb8, 0x3c, 0, 0, 0}; // mov eax, 60
    code.insert(code.end(), mov60, mov60 + 5);
    for (int i = 0; i < 1'500'000; ++i) { // 3 MB of `syscall`
        code.push_back(0x0f);
        code.push_back(0x05);
    }
    auto bytes = tiny_elf(code);
    auto path = fs::temp_directory_path() / ("glassbox-scan-huge-" + std::to_string(getpid()));
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    auto r = scan_one(path.string(), false);
    fs::remove(path);
    REQUIRE(r.error.empty());
    CHECK(r.functions == 1);
    REQUIRE_FALSE(r.sites.empty());
    CHECK(r.sites.front().numbers == std::vector<std::int64_t>{60}); // the first one is known
    CHECK(labels(r.own) == std::set<std::string>{"exit"});
    CHECK(r.unresolved_sites > 100'000); // the rest follow another syscall: rax is its result
    bool stopped = false;
    for (const auto& w : r.warnings)
        stopped |= w.find("analysis stopped after 200000 candidate sites") != std::string::npos;
    CHECK(stopped);
}

TEST_CASE("a tiny hand-made executable without sections is scanned through its segment", "[scan]") {
    auto bytes = tiny_elf({0x31, 0xc0, 0xb0, 0x3c, 0x0f, 0x05, // xor eax,eax; mov al,60; syscall
                           0xb8, 0xe7, 0, 0, 0, 0x0f, 0x05});  // mov eax,231; syscall
    std::vector<std::byte> buf(bytes.size());
    std::memcpy(buf.data(), bytes.data(), bytes.size());
    auto img = read_elf(buf);
    REQUIRE(img);
    REQUIRE(img->code.size() == 1);
    CHECK(img->code[0].name == "PT_LOAD[0]");
    auto path = fs::temp_directory_path() / ("glassbox-scan-tiny-" + std::to_string(getpid()));
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    auto r = scan_one(path.string(), false);
    fs::remove(path);
    REQUIRE(r.sites.size() == 2);
    CHECK_FALSE(r.sites[0].resolved); // `mov al` writes only part of eax: not trusted
    CHECK(r.sites[0].note.find("partly written") != std::string::npos);
    CHECK(r.sites[1].numbers == std::vector<std::int64_t>{231});
}
