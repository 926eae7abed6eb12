// The one Catch2 main shared by every test binary. Besides running Catch2 it turns the skips of
// tests/support/skip.hpp into exit status 77 (ctest: SKIP_RETURN_CODE), so that a test whose
// kernel feature is absent shows as skipped instead of passed or failed.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "skip.hpp"

#include <cstdio>

CATCH_TRANSLATE_EXCEPTION(const glassbox_test::skipped& e) {
    return std::string("SKIPPED (a kernel feature is absent): ") + e.what();
}

int main(int argc, char** argv) {
    int failed = Catch::Session().run(argc, argv);
    int skips = glassbox_test::skipped_count();
    // Catch2 counts each skip as one failed assertion; when nothing else failed, report the skip.
    if (skips > 0 && failed == skips) {
        std::printf("SKIPPED: %d test(s) could not run on this kernel (reasons above); nothing failed\n", skips);
        return 77;
    }
    return failed;
}
