// A test that cannot run because a kernel feature is absent says so and is shown as SKIPPED by
// ctest, never as passed: skip_because() throws, the shared Catch2 main (tests/catch_main.cpp)
// prints the reason and, when every failure of the run was such a skip, exits 77, which the root
// tier registers as SKIP_RETURN_CODE (tests/CMakeLists.txt). Only for kernel features: a missing
// package or a missing privilege is a failure (docs/testing.md).
#pragma once

#include <stdexcept>
#include <string>

namespace glassbox_test {

struct skipped : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// How many tests of this run were skipped (each is one failed assertion for Catch2).
inline int& skipped_count() {
    static int n = 0;
    return n;
}

[[noreturn]] inline void skip_because(const std::string& reason) {
    ++skipped_count();
    throw skipped(reason);
}

} // namespace glassbox_test
