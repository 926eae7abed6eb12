// Unit tests for the enforcement policy: glob anchors (what Landlock is given), profile -> policy
// compilation (network rule table, file rules per alternative) and the matchers the supervisor uses.
#include "enforce/landlock.hpp"
#include "enforce/policy.hpp"

#include <glassbox/profile.hpp>

#include <catch2/catch.hpp>

using namespace glassbox::enforce;

TEST_CASE("glob anchors are the wildcard-free leading directory", "[enforce][policy]") {
    CHECK(glob_anchor("/etc/*.conf") == "/etc");
    CHECK(glob_anchor("/srv/samples/**") == "/srv/samples");
    CHECK(glob_anchor("/etc/passwd") == "/etc/passwd");
    CHECK(glob_anchor("/a/b?/c") == "/a");
    CHECK(glob_anchor("**") == "/");
    CHECK(glob_anchor("/x\\*y") == "/");
    CHECK_FALSE(glob_has_wildcard("/usr/bin/cat"));
    CHECK(glob_has_wildcard("/usr/bin/[ab]"));
}

TEST_CASE("the fallback glob matches components like the profile format", "[enforce][policy]") {
    CHECK(glob_match("/srv/**", "/srv"));
    CHECK(glob_match("/srv/**", "/srv/a/b"));
    CHECK_FALSE(glob_match("/srv/**", "/srvx"));
    CHECK(glob_match("/a/**/b", "/a/b"));
    CHECK(glob_match("/a/**/b", "/a/x/y/b"));
    CHECK(glob_match("/etc/*.conf", "/etc/a.conf"));
    CHECK_FALSE(glob_match("/etc/*.conf", "/etc/d/a.conf"));
}

TEST_CASE("profiles compile into file and network rules", "[enforce][policy]") {
    auto p = glassbox::profile::parse_profile(R"(apiVersion: glassbox/v1
kind: Profile
files:
  read: ["{/etc,/usr/share}/x*.conf", /var/lib/db/**]
  write: [/tmp/out-*]
processes:
  exec: [/usr/bin/cat]
network:
  connect: ["tcp 10.0.0.0/8:443", "udp [2001:db8::/32]:53", "tcp *:80", "unix /run/a.sock"]
  bind: ["tcp 127.0.0.1:8080-8090", "unix /run/{a,b}/*.sock", "unix @agent-*"]
)");
    REQUIRE(p);
    std::vector<std::string> notes;
    auto pol = policy_from_profile(std::make_shared<const glassbox::profile::profile>(*p), notes);
    // One file rule per brace alternative, with the profile's own matcher.
    int reads = 0;
    for (const auto& f : pol.files)
        reads += (f.access == acc_read);
    CHECK(reads == 3);
    CHECK(pol.file_allows("/usr/share/xa.conf", acc_read));
    CHECK_FALSE(pol.file_allows("/usr/share/xa.conf", acc_write));
    CHECK(pol.file_allows("/tmp/out-1", acc_write));
    CHECK(pol.file_allows("/usr/bin/cat", acc_exec));
    CHECK_FALSE(pol.file_allows("/usr/bin/id", acc_exec));
    CHECK(pol.unix_connect.size() == 1);
    // Filesystem unix bind rules (one per brace alternative) go to Landlock; abstract ones are noted.
    CHECK(pol.unix_bind == std::vector<std::string>{"/run/a/*.sock", "/run/b/*.sock"});
    int abstract_notes = 0;
    for (const auto& n : notes)
        abstract_notes += n.find("'unix @agent-*': binding abstract unix names is not restricted") != std::string::npos;
    CHECK(abstract_notes == 1);

    auto a4 = [](const char* s) { return parse_cidr(s)->first; };
    using d = net_rule::direction;
    CHECK(pol.net_allows(d::connect, a4("10.1.2.3"), 6, 443));
    CHECK_FALSE(pol.net_allows(d::connect, a4("10.1.2.3"), 17, 443));
    CHECK_FALSE(pol.net_allows(d::connect, a4("11.1.2.3"), 6, 443));
    CHECK(pol.net_allows(d::connect, a4("2001:db8::9"), 17, 53));
    CHECK(pol.net_allows(d::connect, a4("192.0.2.1"), 6, 80));   // "*" = any address
    CHECK(pol.net_allows(d::connect, a4("::1"), 6, 80));
    CHECK(pol.net_allows(d::bind, a4("127.0.0.1"), 6, 8085));
    CHECK_FALSE(pol.net_allows(d::bind, a4("127.0.0.1"), 6, 8091));
    CHECK_FALSE(pol.net_allows(d::connect, a4("127.0.0.1"), 6, 8085));
    // An IPv4-mapped IPv6 address is the IPv4 address.
    CHECK(a4("::ffff:10.0.0.1") == a4("10.0.0.1"));
}

TEST_CASE("exec_interpreter finds PT_INTERP and #! lines", "[enforce][policy]") {
    auto interp = exec_interpreter("/bin/sh");
    CHECK(interp.find("ld-linux") != std::string::npos);
    CHECK(exec_interpreter("/nonexistent").empty());
    CHECK(exec_interpreter("/etc/hostname").empty());
}

TEST_CASE("unix socket rules compile to the shapes the kernel-side matcher judges", "[enforce][unix]") {
    using glassbox::enforce::unix_rule_shape;
    using kind = glassbox::enforce::unix_shape::kind;
    auto exact = unix_rule_shape("/run/a.sock");
    REQUIRE(exact);
    CHECK(exact->type == kind::exact);
    CHECK(exact->prefix == "/run/a.sock");
    auto star = unix_rule_shape("/run/agent/*.sock");
    REQUIRE(star);
    CHECK(star->type == kind::star);
    CHECK(star->prefix == "/run/agent/");
    CHECK(star->suffix == ".sock");
    auto sub = unix_rule_shape("/run/agent/**");
    REQUIRE(sub);
    CHECK(sub->type == kind::subtree);
    CHECK(sub->prefix == "/run/agent/");
    auto abs = unix_rule_shape("@dbus-*");
    REQUIRE(abs);
    CHECK(abs->type == kind::star);
    CHECK(abs->prefix == "@dbus-");
    CHECK(abs->suffix.empty());
    CHECK_FALSE(unix_rule_shape("/run/*/x-*.sock"));  // two stars
    CHECK_FALSE(unix_rule_shape("/run/**/x.sock"));   // ** inside
    CHECK_FALSE(unix_rule_shape("/run/a?.sock"));     // ?
    CHECK_FALSE(unix_rule_shape("/run/[ab].sock"));   // class
    CHECK_FALSE(unix_rule_shape(std::string(120, 'a'))); // longer than sun_path
}

TEST_CASE("DNS rules compile to the shapes the kernel-side matcher judges", "[enforce][dns]") {
    using glassbox::enforce::dns_rule_shape;
    using kind = glassbox::enforce::dns_shape::kind;
    auto e = dns_rule_shape("Database.ClamAV.net.");
    REQUIRE(e);
    CHECK(e->type == kind::exact);
    CHECK(e->name == "database.clamav.net");
    auto sub = dns_rule_shape("**.clamav.net");
    REQUIRE(sub);
    CHECK(sub->type == kind::subtree);
    CHECK(sub->name == "clamav.net");
    auto one = dns_rule_shape("*.example.com");
    REQUIRE(one);
    CHECK(one->type == kind::onelabel);
    CHECK(one->name == "example.com");
    CHECK_FALSE(dns_rule_shape("a.*.example.com"));
    CHECK_FALSE(dns_rule_shape("**"));
    CHECK_FALSE(dns_rule_shape("*"));
    CHECK_FALSE(dns_rule_shape("db?.example.com"));
    CHECK_FALSE(dns_rule_shape("a..b"));
}
