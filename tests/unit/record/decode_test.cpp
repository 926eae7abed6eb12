// Unit tests of the decoder: kernel records built byte by byte (as the BPF programs lay them out
// in include/glassbox/events.h) must become trace lines with the documented fields, and malformed
// records must be rejected without reading out of bounds.
#include "record/decode.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>

#include <cstring>
#include <fcntl.h>
#include <vector>

using namespace glassbox::record;
using glassbox::json_line;
using nlohmann::json;

namespace {

// Builds a record: the fixed struct T followed by data[] strings.
template <typename T>
struct record_builder {
    T ev{};
    std::vector<std::uint8_t> data;

    record_builder(gb_event_kind kind, std::uint32_t pid) {
        ev.hdr.kind = static_cast<__u16>(kind);
        ev.hdr.ts = 1'000'500;
        ev.hdr.pid = pid;
        ev.hdr.tid = pid + 1;
        ev.hdr.ppid = 1;
        ev.hdr.uid = 1000;
        ev.hdr.euid = 0;
        std::memcpy(ev.hdr.comm, "agentd", 6);
    }
    gb_str add(std::string_view bytes, std::uint16_t flags = GB_STR_PRESENT) {
        gb_str s{};
        s.off = static_cast<__u16>(data.size());
        s.len = static_cast<__u16>(bytes.size());
        s.flags = flags;
        data.insert(data.end(), bytes.begin(), bytes.end());
        return s;
    }
    std::vector<std::uint8_t> bytes() {
        ev.hdr.size = static_cast<__u32>(sizeof(T) + data.size());
        std::vector<std::uint8_t> out(sizeof(T));
        std::memcpy(out.data(), &ev, sizeof(T));
        out.insert(out.end(), data.begin(), data.end());
        return out;
    }
};

json decode_one(decoder& d, const std::vector<std::uint8_t>& rec) {
    json_line line;
    std::string human;
    auto r = d.decode(rec, line, human);
    REQUIRE(r);
    return json::parse(line.text());
}

} // namespace

TEST_CASE("open record: resolved path, raw path, access, result", "[record][decode]") {
    decoder d(500); // ts = 1'000'500 - 500
    d.set_exe(77, "/usr/sbin/agentd");
    record_builder<gb_open_event> b(GB_EV_OPEN, 77);
    b.ev.ret = 3;
    b.ev.syscall = 257;
    b.ev.flags = O_WRONLY | O_CREAT | O_TRUNC;
    b.ev.mode = 0640;
    b.ev.path = b.add("/var/lib/agent/state.db");
    b.ev.raw_path = b.add("state.db");
    auto j = decode_one(d, b.bytes());
    CHECK(j["type"] == "open");
    CHECK(j["ts"] == 1'000'000);
    CHECK(j["pid"] == 77);
    CHECK(j["tid"] == 78);
    CHECK(j["ppid"] == 1);
    CHECK(j["uid"] == 1000);
    CHECK(j["euid"] == 0);
    CHECK(j["comm"] == "agentd");
    CHECK(j["exe"] == "/usr/sbin/agentd");
    CHECK(j["path"] == "/var/lib/agent/state.db");
    CHECK(j["raw_path"] == "state.db");
    CHECK(j["access"] == "write");
    CHECK(j["create"] == true);
    CHECK(j["truncate"] == true);
    CHECK(j["mode"] == 0640);
    CHECK(j["ret"] == 3);
    CHECK_FALSE(j.contains("errno"));
    CHECK(j["syscall"] == "openat");
}

TEST_CASE("failed open: path null, raw path kept, errno named", "[record][decode]") {
    decoder d(0);
    d.set_exe(5, std::nullopt);
    record_builder<gb_open_event> b(GB_EV_OPEN, 5);
    b.ev.ret = -2;
    b.ev.syscall = 2;
    b.ev.flags = O_RDONLY;
    b.ev.raw_path = b.add("/root/.ssh/id_rsa");
    auto j = decode_one(d, b.bytes());
    CHECK(j["path"].is_null());
    CHECK(j["raw_path"] == "/root/.ssh/id_rsa");
    CHECK(j["ret"] == -2);
    CHECK(j["errno"] == "ENOENT");
    CHECK(j["access"] == "read");
    CHECK(j["syscall"] == "open");
    CHECK(j["exe"].is_null());
}

TEST_CASE("truncated and deleted paths are flagged, never silently cut", "[record][decode]") {
    decoder d(0);
    d.set_exe(5, std::nullopt);
    record_builder<gb_open_event> b(GB_EV_OPEN, 5);
    b.ev.ret = 4;
    b.ev.syscall = 257;
    b.ev.path = b.add("/deep/tail", GB_STR_PRESENT | GB_STR_TRUNCATED | GB_STR_DELETED);
    b.ev.raw_path = b.add("x");
    auto j = decode_one(d, b.bytes());
    CHECK(j["path"] == ".../deep/tail (deleted)");
    CHECK(j["path_truncated"] == true);
    CHECK(d.truncated_paths() == 1);
}

TEST_CASE("exec record: argv split, exe updated before the common fields", "[record][decode]") {
    decoder d(0);
    d.set_exe(9, "/bin/sh");
    record_builder<gb_exec_event> b(GB_EV_EXEC, 9);
    b.ev.ret = 0;
    b.ev.syscall = 59;
    b.ev.path = b.add("/usr/bin/clamscan");
    b.ev.raw_path = b.add("clamscan");
    b.ev.cwd = b.add("/srv");
    b.ev.argv = b.add(std::string_view("clamscan\0-r\0/srv/samples\0", 25));
    auto j = decode_one(d, b.bytes());
    CHECK(j["type"] == "exec");
    CHECK(j["exe"] == "/usr/bin/clamscan");
    CHECK(j["path"] == "/usr/bin/clamscan");
    CHECK(j["raw_path"] == "clamscan");
    CHECK(j["argv"] == json::array({"clamscan", "-r", "/srv/samples"}));
    CHECK(j["argv_truncated"] == false);
    CHECK(j["cwd"] == "/srv");
    CHECK(j["ret"] == 0);
    CHECK(j["syscall"] == "execve");
    CHECK_FALSE(j.contains("interpreter"));
}

TEST_CASE("exec of a script: path is the script (absolute), interpreter resolved", "[record][decode]") {
    decoder d(0);
    record_builder<gb_exec_event> b(GB_EV_EXEC, 9);
    b.ev.ret = 0;
    b.ev.syscall = 59;
    b.ev.flags = GB_EXEC_SCRIPT;
    b.ev.path = b.add("./run.sh");
    b.ev.interpreter = b.add("/usr/bin/dash");
    b.ev.raw_path = b.add("./run.sh");
    b.ev.cwd = b.add("/opt/agent");
    b.ev.argv = b.add(std::string_view("/bin/sh\0./run.sh\0", 17));
    auto j = decode_one(d, b.bytes());
    CHECK(j["path"] == "/opt/agent/run.sh");
    CHECK(j["interpreter"] == "/usr/bin/dash");
    CHECK(j["exe"] == "/usr/bin/dash");
}

TEST_CASE("failed exec: path null, ret and errno, argv as passed", "[record][decode]") {
    decoder d(0);
    d.set_exe(9, "/bin/sh");
    record_builder<gb_exec_event> b(GB_EV_EXEC, 9);
    b.ev.ret = -13;
    b.ev.syscall = 322;
    b.ev.raw_path = b.add("/tmp/noexec");
    b.ev.cwd = b.add("/");
    b.ev.argv = b.add(std::string_view("noexec\0", 7), GB_STR_PRESENT | GB_STR_TRUNCATED);
    auto j = decode_one(d, b.bytes());
    CHECK(j["path"].is_null());
    CHECK(j["ret"] == -13);
    CHECK(j["errno"] == "EACCES");
    CHECK(j["syscall"] == "execveat");
    CHECK(j["argv"] == json::array({"noexec"}));
    CHECK(j["argv_truncated"] == true);
    CHECK(j["exe"] == "/bin/sh"); // unchanged: the exec failed
}

TEST_CASE("fork, thread and exit records", "[record][decode]") {
    decoder d(0);
    d.set_exe(10, "/usr/sbin/agentd");
    record_builder<gb_fork_event> f(GB_EV_FORK, 10);
    f.ev.child_pid = 11;
    f.ev.child_tid = 11;
    f.ev.syscall = 56;
    auto j = decode_one(d, f.bytes());
    CHECK(j["child_pid"] == 11);
    CHECK(j["child_tid"] == 11);
    CHECK(j["thread"] == false);
    CHECK(j["syscall"] == "clone");
    CHECK(d.exe_of(11) == std::optional<std::string>("/usr/sbin/agentd")); // inherited

    record_builder<gb_exit_event> e(GB_EV_EXIT, 11);
    e.ev.exit_code = 9; // SIGKILL
    e.ev.flags = GB_EXIT_GROUP_DEAD;
    j = decode_one(d, e.bytes());
    CHECK(j["signal"] == 9);
    CHECK(j["signal_name"] == "SIGKILL");
    CHECK(j["core_dumped"] == false);
    CHECK(j["thread"] == false);

    record_builder<gb_exit_event> e2(GB_EV_EXIT, 10);
    e2.ev.exit_code = 3 << 8;
    e2.ev.flags = 0;
    j = decode_one(d, e2.bytes());
    CHECK(j["exit_code"] == 3);
    CHECK(j["thread"] == true);
}

TEST_CASE("network record: inet6 address and port", "[record][decode]") {
    decoder d(0);
    d.set_exe(3, std::nullopt);
    record_builder<gb_net_event> b(GB_EV_CONNECT, 3);
    b.ev.ret = -111;
    b.ev.syscall = 42;
    b.ev.family = 10;
    b.ev.sock_type = 1;
    b.ev.port = 443;
    b.ev.flags = GB_NET_HAVE_ADDR;
    b.ev.addr[15] = 1; // ::1
    auto j = decode_one(d, b.bytes());
    CHECK(j["family"] == "inet6");
    CHECK(j["sock_type"] == "stream");
    CHECK(j["addr"] == "::1");
    CHECK(j["port"] == 443);
    CHECK(j["errno"] == "ECONNREFUSED");
}

TEST_CASE("datagram records: first sighting, total, receive source", "[record][decode]") {
    decoder d(0);
    d.set_exe(3, std::nullopt);
    record_builder<gb_net_event> first(GB_EV_SENDTO, 3);
    first.ev.ret = 38;
    first.ev.syscall = 307; // sendmmsg
    first.ev.family = 2;
    first.ev.sock_type = 2;
    first.ev.port = 53;
    first.ev.flags = GB_NET_HAVE_ADDR;
    first.ev.addr[0] = 127;
    first.ev.addr[3] = 1;
    first.ev.count = 1;
    first.ev.index = 1;
    auto j = decode_one(d, first.bytes());
    CHECK(j["type"] == "sendto");
    CHECK(j["count"] == 1);
    CHECK(j["message_index"] == 1);
    CHECK(j["ret"] == 38);
    CHECK_FALSE(j.contains("total"));

    record_builder<gb_net_event> total = first;
    total.ev.ret = INT64_MIN;
    total.ev.count = 9;
    total.ev.flags |= GB_NET_TOTAL;
    j = decode_one(d, total.bytes());
    CHECK(j["count"] == 9);
    CHECK(j["total"] == true);
    CHECK(j["ret"].is_null());
    CHECK_FALSE(j.contains("errno"));
    CHECK_FALSE(j.contains("message_index"));
    CHECK(j["addr"] == "127.0.0.1");

    record_builder<gb_net_event> recv(GB_EV_RECVFROM, 3);
    recv.ev.ret = 12;
    recv.ev.syscall = 47;
    recv.ev.family = 2;
    recv.ev.flags = GB_NET_HAVE_ADDR | GB_NET_UNCOUNTED;
    recv.ev.count = 1;
    j = decode_one(d, recv.bytes());
    CHECK(j["type"] == "recvfrom");
    CHECK(j["syscall"] == "recvmsg");
    CHECK(j["uncounted"] == true);
}

TEST_CASE("unix connect record: the peer's pid and executable", "[record][decode]") {
    decoder d(0);
    d.set_exe(3, std::nullopt);
    record_builder<gb_net_event> b(GB_EV_CONNECT, 3);
    b.ev.syscall = 42;
    b.ev.family = 1;
    b.ev.sock_type = 1;
    b.ev.flags = GB_NET_HAVE_ADDR | GB_NET_PATH_RESOLVED;
    b.ev.path = b.add("/run/agent.sock");
    b.ev.peer_pid = 812;
    b.ev.peer_exe = b.add("/usr/sbin/agentd");
    auto j = decode_one(d, b.bytes());
    CHECK(j["path"] == "/run/agent.sock");
    CHECK(j["peer_pid"] == 812);
    CHECK(j["peer_exe"] == "/usr/sbin/agentd");
    // unknown peer: no fields at all
    b.ev.peer_pid = 0;
    j = decode_one(d, b.bytes());
    CHECK_FALSE(j.contains("peer_pid"));
    CHECK_FALSE(j.contains("peer_exe"));
}

TEST_CASE("malformed records are rejected", "[record][decode]") {
    decoder d(0);
    json_line line;
    std::string human;
    std::vector<std::uint8_t> tiny(10, 0);
    CHECK_FALSE(d.decode(tiny, line, human));

    record_builder<gb_open_event> b(GB_EV_OPEN, 1);
    b.ev.path = b.add("/x");
    auto rec = b.bytes();
    // size field larger than the bytes
    auto big = rec;
    gb_event_header h;
    std::memcpy(&h, big.data(), sizeof(h));
    h.size = 100000;
    std::memcpy(big.data(), &h, sizeof(h));
    json_line l2;
    CHECK_FALSE(d.decode(big, l2, human));
    // a record shorter than its kind's struct
    std::vector<std::uint8_t> short_open(rec.begin(), rec.begin() + sizeof(gb_event_header) + 4);
    h.size = static_cast<__u32>(short_open.size());
    std::memcpy(short_open.data(), &h, sizeof(h));
    json_line l3;
    CHECK_FALSE(d.decode(short_open, l3, human));
    // unknown kind
    auto unk = rec;
    std::memcpy(&h, unk.data(), sizeof(h));
    h.kind = 999;
    std::memcpy(unk.data(), &h, sizeof(h));
    json_line l4;
    CHECK_FALSE(d.decode(unk, l4, human));
    CHECK(d.malformed() == 4);
}

TEST_CASE("a string pointing outside the record decodes as null", "[record][decode]") {
    decoder d(0);
    d.set_exe(1, std::nullopt);
    record_builder<gb_open_event> b(GB_EV_OPEN, 1);
    b.ev.ret = 3;
    b.ev.path = gb_str{60000, 10, GB_STR_PRESENT, 0};
    b.ev.raw_path = b.add("/x");
    auto j = decode_one(d, b.bytes());
    CHECK(j["path"].is_null());
    CHECK(j["raw_path"] == "/x");
}
