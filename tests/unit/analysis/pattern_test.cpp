// Table tests for the profile pattern matchers: path globs, endpoint rules (CIDR v4/v6, ports,
// protocols, unix sockets) and DNS wildcards. Each row states one expected yes/no.
#include <glassbox/profile.hpp>

#include <catch2/catch.hpp>

using namespace glassbox::profile;

namespace {

struct glob_row {
    const char* pattern;
    const char* subject;
    bool expected;
};

} // namespace

TEST_CASE("path globs match by component", "[analysis][pattern]") {
    const glob_row rows[] = {
        {"/etc/passwd", "/etc/passwd", true},
        {"/etc/passwd", "/etc/passwd2", false},
        {"/etc/passwd", "/etc/passw", false},
        {"/etc/*", "/etc/passwd", true},
        {"/etc/*", "/etc/ssl/certs", false},
        {"/etc/*", "/etc/", true},
        {"/etc/*.conf", "/etc/ld.so.conf", true},
        {"/etc/*.conf", "/etc/ld.so.conf.d/x.conf", false},
        {"/usr/**", "/usr", true},
        {"/usr/**", "/usr/lib/x86_64-linux-gnu/libc.so.6", true},
        {"/usr/**", "/usrx/lib", false},
        {"/usr/**", "/var/usr", false},
        {"/usr/**/*.so", "/usr/a.so", true},
        {"/usr/**/*.so", "/usr/lib/x/y/a.so", true},
        {"/usr/**/*.so", "/usr/lib/x/y/a.so.1", false},
        {"/a/**/b", "/a/b", true},
        {"/a/**/b", "/a/x/b", true},
        {"/a/**/b", "/a/x/y/b", true},
        {"/a/**/b", "/a/xb", false},
        {"**", "/anything/at/all", true},
        {"/tmp/clamav-??????", "/tmp/clamav-a1B2c3", true},
        {"/tmp/clamav-??????", "/tmp/clamav-a1B2c", false},
        {"/tmp/clamav-??????", "/tmp/clamav-a1/2c3", false},
        {"/dev/tty[0-9]", "/dev/tty5", true},
        {"/dev/tty[0-9]", "/dev/ttyS", false},
        {"/dev/tty[!0-9]", "/dev/ttyS", true},
        {"/dev/tty[^0-9]", "/dev/tty1", false},
        {"/x/[]]", "/x/]", true},
        {"/x/[a/]", "/x//", false}, // a class never matches the separator
        {"/etc/{passwd,group}", "/etc/group", true},
        {"/etc/{passwd,group}", "/etc/shadow", false},
        {"/{usr/,}lib/{x86_64-linux-gnu/,}libz.so.*", "/lib/libz.so.1", true},
        {"/{usr/,}lib/{x86_64-linux-gnu/,}libz.so.*", "/usr/lib/x86_64-linux-gnu/libz.so.1.2", true},
        {"/{a,b{c,d}}/f", "/bd/f", true},
        {"/{a,b{c,d}}/f", "/b/f", false},
        {"/proc/[0-9]*/status", "/proc/4242/status", true},
        {"/proc/[0-9]*/status", "/proc/self/status", false},
        {"/proc/[0-9]*/status", "/proc/4242/task/4243/status", false},
        {"/lit\\*eral", "/lit*eral", true},
        {"/lit\\*eral", "/litXeral", false},
        {"/a*b*c*d", "/aXXbYYcZZd", true},
        {"/a*b*c*d", "/aXXbYYcZZ", false},
        {"/**/x/**/y", "/p/x/q/y", true},
        {"/**/x/**/y", "/p/q/y", false},
        {"pipe:*", "pipe:[1234]", true},
        {"memfd:*", "memfd:jit (deleted)", true},
        {"/tmp/*", "/tmp/a\xff\xfe", true}, // bytes, not UTF-8
        {"/tmp/a?", "/tmp/a\xff", true},
    };
    for (const auto& r : rows) {
        INFO("pattern " << r.pattern << " subject " << r.subject);
        auto g = glob::compile(r.pattern);
        REQUIRE(g.has_value());
        CHECK(g->matches(r.subject) == r.expected);
    }
}

TEST_CASE("bad globs are rejected with a reason", "[analysis][pattern]") {
    const char* bad[] = {"", "/a/{b,c", "/a/b}", "/a/[bc", "/a/\\", "/a/[z-a]"};
    for (auto b : bad) {
        INFO("pattern '" << b << "'");
        auto g = glob::compile(b);
        REQUIRE_FALSE(g.has_value());
        CHECK_FALSE(g.error().empty());
    }
    // A brace bomb is bounded, not expanded forever.
    auto bomb = glob::compile("/{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}");
    REQUIRE_FALSE(bomb.has_value());
    CHECK(bomb.error().find("1024") != std::string::npos);
}

TEST_CASE("glob literal prefixes name the directory a rule reaches beneath", "[analysis][pattern]") {
    const std::pair<const char*, const char*> rows[] = {
        {"/etc/passwd", "/etc/passwd"},    {"/usr/lib/**/*.so", "/usr/lib"}, {"/tmp/x*", "/tmp"},
        {"/usr/**", "/usr"},               {"/**", "/"},                     {"/*", "/"},
        {"/etc/{passwd,group}", "/etc"},   {"/srv/{a,b}/**", "/srv"},       {"/a/b/{c,c}", "/a/b/c"},
    };
    for (auto [pat, prefix] : rows) {
        INFO(pat);
        auto g = glob::compile(pat);
        REQUIRE(g);
        CHECK(g->literal_prefix() == prefix);
    }
    CHECK(glob::compile("/etc/passwd")->is_literal());
    CHECK_FALSE(glob::compile("/etc/*")->is_literal());
    CHECK(glob::compile("/a/{b,c}")->alternatives() == std::vector<std::string>{"/a/b", "/a/c"});
}

TEST_CASE("pathological globs stay fast", "[analysis][pattern]") {
    auto g = glob::compile("/**/a/**/a/**/a/**/a/**/a/**/b");
    REQUIRE(g);
    std::string s;
    for (int i = 0; i < 200; ++i)
        s += "/a";
    CHECK_FALSE(g->matches(s)); // would take exponential time without memoisation
    auto h = glob::compile("/*a*a*a*a*a*a*a*b");
    REQUIRE(h);
    CHECK_FALSE(h->matches("/" + std::string(3000, 'a')));
}

namespace {

struct ep_row {
    const char* pattern;
    endpoint e;
    bool expected;
};

} // namespace

TEST_CASE("endpoint rules: protocol, CIDR and ports", "[analysis][pattern]") {
    const ep_row rows[] = {
        {"tcp 10.0.0.0/8:443", {"tcp", "10.1.2.3", 443}, true},
        {"tcp 10.0.0.0/8:443", {"tcp", "11.1.2.3", 443}, false},
        {"tcp 10.0.0.0/8:443", {"tcp", "10.1.2.3", 80}, false},
        {"tcp 10.0.0.0/8:443", {"udp", "10.1.2.3", 443}, false},
        {"tcp 10.0.0.0/8", {"tcp", "10.9.9.9", 1}, true},
        {"tcp 192.0.2.1:80", {"tcp", "192.0.2.1", 80}, true},
        {"tcp 192.0.2.1:80", {"tcp", "192.0.2.2", 80}, false},
        {"tcp 192.0.2.1:80", {"tcp", "::ffff:192.0.2.1", 80}, true}, // v4-mapped v6
        {"udp *:53", {"udp", "127.0.0.53", 53}, true},
        {"udp *:53", {"udp", "2001:db8::1", 53}, true},
        {"udp *:53", {"udp", "127.0.0.53", 54}, false},
        {"any 127.0.0.1", {"udp", "127.0.0.1", 9}, true},
        {"any 127.0.0.1", {"tcp", "127.0.0.1", 9}, true},
        {"any 127.0.0.1", {"unix", "", -1, "/x"}, false},
        {"tcp 0.0.0.0/0:1024-65535", {"tcp", "8.8.8.8", 1024}, true},
        {"tcp 0.0.0.0/0:1024-65535", {"tcp", "8.8.8.8", 1023}, false},
        {"tcp 0.0.0.0/0:1024-65535", {"tcp", "2001:db8::1", 2000}, false}, // v4 rule, v6 address
        {"tcp [2001:db8::/32]:8000-8100", {"tcp", "2001:db8:1::5", 8080}, true},
        {"tcp [2001:db8::/32]:8000-8100", {"tcp", "2001:db9::5", 8080}, false},
        {"tcp [2001:db8::/32]:8000-8100", {"tcp", "2001:db8::5", 8101}, false},
        {"tcp [::1]:631", {"tcp", "::1", 631}, true},
        {"tcp 2001:db8::/48", {"tcp", "2001:db8:0:1::", 1}, true},
        {"tcp 2001:db8::/48", {"tcp", "2001:db8:1::", 1}, false},
        {"tcp *:*", {"tcp", "203.0.113.9", 5}, true},
        {"unix /run/clamav/clamd.ctl", {"unix", "", -1, "/run/clamav/clamd.ctl"}, true},
        {"unix /run/clamav/*.ctl", {"unix", "", -1, "/run/clamav/clamd.ctl"}, true},
        {"unix /run/clamav/*.ctl", {"unix", "", -1, "clamd.ctl", true}, false}, // abstract
        {"unix @dbus-*", {"unix", "", -1, "dbus-1234", true}, true},
        {"unix @dbus-*", {"unix", "", -1, "/dbus-1234", false}, false},
        {"unix unnamed", {"unix", "", -1, "", false, true}, true},
        {"unix unnamed", {"unix", "", -1, "/x"}, false},
        {"netlink", {"netlink", "", -1}, true},
        {"netlink *", {"netlink", "", -1}, true},
        {"netlink", {"packet", "", -1}, false},
        {"af_40", {"af_40", "", -1}, true},
    };
    for (const auto& r : rows) {
        INFO("rule " << r.pattern << " vs " << r.e.proto << " " << r.e.addr << " port " << r.e.port
                     << " path " << r.e.path);
        auto p = endpoint_pattern::compile(r.pattern);
        REQUIRE(p.has_value());
        CHECK(p->matches(r.e) == r.expected);
    }
}

TEST_CASE("endpoint rules expose CIDR and port fields for enforcement", "[analysis][pattern]") {
    auto p = endpoint_pattern::compile("udp 192.168.7.77/16:53-54");
    REQUIRE(p);
    CHECK(p->type == endpoint_pattern::kind::inet);
    CHECK(p->proto == "udp");
    CHECK(p->ip_version == 4);
    CHECK(p->prefix_len == 16);
    CHECK(p->addr[0] == 192);
    CHECK(p->addr[1] == 168);
    CHECK(p->addr[2] == 0); // host bits masked
    CHECK(p->port_lo == 53);
    CHECK(p->port_hi == 54);
    auto any = endpoint_pattern::compile("tcp *");
    REQUIRE(any);
    CHECK(any->ip_version == 0);
    CHECK(any->port_lo == 0);
    CHECK(any->port_hi == 65535);
}

TEST_CASE("bad endpoint rules are rejected with a reason", "[analysis][pattern]") {
    const char* bad[] = {"",
                         "tcp",
                         "http 1.2.3.4:80",
                         "tcp 1.2.3:80",
                         "tcp 1.2.3.4:70000",
                         "tcp 1.2.3.4:90-80",
                         "tcp 1.2.3.4/33",
                         "tcp [2001:db8::1",
                         "tcp [2001:db8::1]x",
                         "tcp 1.2.3.4:",
                         "unix relative/path",
                         "unix",
                         "netlink 1.2.3.4"};
    for (auto b : bad) {
        INFO("rule '" << b << "'");
        auto p = endpoint_pattern::compile(b);
        REQUIRE_FALSE(p.has_value());
        CHECK_FALSE(p.error().empty());
    }
}

TEST_CASE("DNS name patterns", "[analysis][pattern]") {
    const glob_row rows[] = {
        {"database.clamav.net", "database.clamav.net", true},
        {"database.clamav.net", "DATABASE.ClamAV.net.", true},
        {"database.clamav.net", "xdatabase.clamav.net", false},
        {"*.clamav.net", "db.local.clamav.net", false},
        {"*.clamav.net", "database.clamav.net", true},
        {"*.clamav.net", "clamav.net", false},
        {"**.clamav.net", "clamav.net", true},
        {"**.clamav.net", "a.b.c.clamav.net", true},
        {"**.clamav.net", "evilclamav.net", false},
        {"db.*.clamav.net", "db.us.clamav.net", true},
        {"*", "anything.example", false},
        {"**", "anything.example", true},
        {"mirror[0-9].example.org", "mirror7.example.org", true},
    };
    for (const auto& r : rows) {
        INFO("pattern " << r.pattern << " name " << r.subject);
        auto p = dns_pattern::compile(r.pattern);
        REQUIRE(p);
        CHECK(p->matches(r.subject) == r.expected);
    }
    CHECK_FALSE(dns_pattern::compile("bad name.example").has_value());
    CHECK(normalise_dns_name("WWW.Example.COM.") == "www.example.com");
}
