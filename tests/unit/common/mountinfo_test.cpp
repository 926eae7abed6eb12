// Unit tests of the one cgroup v2 finder and its mountinfo parser (include/glassbox/mountinfo.hpp)
// on mountinfo texts as the kernel writes them: stock Debian (cgroup v2 alone at /sys/fs/cgroup),
// this project's lab VM (hybrid: v1 controllers plus cgroup2 at /sys/fs/cgroup/unified), escaped
// mount points, a cgroup namespace's sub-tree mount, and nothing mounted.
#include <glassbox/mountinfo.hpp>

#include <catch2/catch.hpp>

using namespace glassbox;

namespace {

// Debian 12, systemd, cgroup v2 only (the lines a stock install shows, shortened to the relevant).
const char* debian_unified =
    "22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "23 28 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
    "28 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro\n"
    "30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n"
    "31 22 0:27 / /sys/fs/pstore rw,nosuid,nodev,noexec,relatime shared:10 - pstore pstore rw\n"
    "32 22 0:28 / /sys/fs/bpf rw,nosuid,nodev,noexec,relatime shared:11 - bpf bpf rw,mode=700\n"
    "41 22 0:12 / /sys/kernel/tracing rw,nosuid,nodev,noexec,relatime shared:17 - tracefs tracefs rw\n";

// The lab VM: a tmpfs at /sys/fs/cgroup holding v1 controllers and cgroup2 at .../unified.
const char* vm_hybrid =
    "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

const char* nothing_mounted =
    "28 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
    "23 28 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n";

} // namespace

TEST_CASE("stock Debian: cgroup v2 alone at /sys/fs/cgroup", "[mountinfo]") {
    auto m = find_cgroup2_mount(debian_unified);
    REQUIRE(m);
    CHECK(m->mount_point == "/sys/fs/cgroup");
    CHECK(m->root == "/");
    CHECK(m->fstype == "cgroup2");
    CHECK(m->source == "cgroup2");
    CHECK(cgroup_layout(debian_unified) == "unified");
}

TEST_CASE("the lab VM's hybrid layout: cgroup2 at /sys/fs/cgroup/unified", "[mountinfo]") {
    auto m = find_cgroup2_mount(vm_hybrid);
    REQUIRE(m);
    CHECK(m->mount_point == "/sys/fs/cgroup/unified");
    CHECK(cgroup_layout(vm_hybrid) == "hybrid");
}

TEST_CASE("nothing mounted: no cgroup2, layout none, and v1 alone is legacy", "[mountinfo]") {
    CHECK_FALSE(find_cgroup2_mount(nothing_mounted));
    CHECK(cgroup_layout(nothing_mounted) == "none");
    CHECK_FALSE(find_cgroup2_mount(""));
    const char* v1_only = "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n";
    CHECK_FALSE(find_cgroup2_mount(v1_only));
    CHECK(cgroup_layout(v1_only) == "legacy");
}

TEST_CASE("escaped mount points are unescaped", "[mountinfo]") {
    // A space (\040), a tab (\011), a backslash (\134) and a newline (\012) in the mount point.
    const char* escaped =
        "50 22 0:40 / /mnt/my\\040cgroups\\011v2\\134x\\012y rw,relatime - cgroup2 none rw\n";
    auto m = find_cgroup2_mount(escaped);
    REQUIRE(m);
    CHECK(m->mount_point == "/mnt/my cgroups\tv2\\x\ny");
    CHECK(unescape_mountinfo("a\\040b") == "a b");
    // Not an escape: fewer than three octal digits, or digits 8/9, stay as they are.
    CHECK(unescape_mountinfo("a\\04") == "a\\04");
    CHECK(unescape_mountinfo("a\\089b") == "a\\089b");
    CHECK(unescape_mountinfo("\\") == "\\");
}

TEST_CASE("optional fields before the separator do not shift the fields after it", "[mountinfo]") {
    const char* with_optionals =
        "30 22 0:26 / /sys/fs/cgroup rw shared:9 master:3 propagate_from:2 - cgroup2 cgroup2 rw\n";
    auto mounts = parse_mountinfo(with_optionals);
    REQUIRE(mounts.size() == 1);
    CHECK(mounts[0].fstype == "cgroup2");
    CHECK(mounts[0].mount_point == "/sys/fs/cgroup");
}

TEST_CASE("a whole-hierarchy cgroup2 mount is preferred over a sub-tree mount", "[mountinfo]") {
    // A container's cgroup namespace shows its sub-tree; /proc/PID/cgroup paths start at the
    // hierarchy's root only on the whole-hierarchy mount.
    const char* two =
        "60 22 0:26 /machine.slice/ct1 /run/ct1-cgroup rw - cgroup2 cgroup2 rw\n"
        "61 22 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
    auto m = find_cgroup2_mount(two);
    REQUIRE(m);
    CHECK(m->mount_point == "/sys/fs/cgroup");
    const char* only_sub = "60 22 0:26 /machine.slice/ct1 /run/ct1-cgroup rw - cgroup2 cgroup2 rw\n";
    auto s = find_cgroup2_mount(only_sub);
    REQUIRE(s);
    CHECK(s->root == "/machine.slice/ct1");
}

TEST_CASE("malformed lines are skipped", "[mountinfo]") {
    auto mounts = parse_mountinfo("garbage\n1 2 3\n\n30 22 0:26 / /x rw - cgroup2 c rw\n1 2 3 4 - \n");
    REQUIRE(mounts.size() == 1);
    CHECK(mounts[0].mount_point == "/x");
}

TEST_CASE("this process's own mountinfo parses, and the finder agrees with a direct scan", "[mountinfo]") {
    std::string text = read_mountinfo();
    REQUIRE_FALSE(text.empty());
    auto mounts = parse_mountinfo(text);
    std::size_t lines = 0;
    for (char c : text)
        lines += c == '\n';
    CHECK(mounts.size() == lines);
    bool any_cgroup2 = text.find(" - cgroup2 ") != std::string::npos;
    CHECK(find_cgroup2_mount(text).has_value() == any_cgroup2);
}
