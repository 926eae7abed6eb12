// Unit tests for recognising glassbox's own cgroups by name (enforce --cleanup must never touch
// anything else under the cgroup root).
#include "enforce/cleanup.hpp"

#include <catch2/catch.hpp>

using glassbox::enforce::glassbox_cgroup_owner;

TEST_CASE("glassbox cgroup names carry their owner's pid", "[enforce][cleanup]") {
    CHECK(glassbox_cgroup_owner("glassbox-enforce-1234") == 1234);
    CHECK(glassbox_cgroup_owner("glassbox-77-0") == 77);
    CHECK(glassbox_cgroup_owner("glassbox-77-12") == 77);
    CHECK(glassbox_cgroup_owner("glassbox-enforce-") == 0);
    CHECK(glassbox_cgroup_owner("glassbox-enforce-12x") == 0);
    CHECK(glassbox_cgroup_owner("glassbox-77") == 0);
    CHECK(glassbox_cgroup_owner("glassbox-77-") == 0);
    CHECK(glassbox_cgroup_owner("glassbox-x-1") == 0);
    CHECK(glassbox_cgroup_owner("system.slice") == 0);
    CHECK(glassbox_cgroup_owner("user.slice") == 0);
    CHECK(glassbox_cgroup_owner("glassbox") == 0);
    CHECK(glassbox_cgroup_owner("glassbox-0-0") == 0);
}
