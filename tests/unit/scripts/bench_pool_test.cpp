// scripts/bench-pool.py, which docs/performance.md's pooled overhead figures come from: run on
// rounds whose statistics are known by hand, and on bad input.
#include "run_command.hpp"

#include <catch2/catch.hpp>

#include <string>

using glassbox_test::run_command;

namespace {
const std::string script = std::string(GLASSBOX_SOURCE_DIR) + "/scripts/bench-pool.py";
const std::string data = std::string(GLASSBOX_SOURCE_DIR) + "/tests/data/bench-pool/";

glassbox_test::command_output pool(std::vector<std::string> files) {
    std::vector<std::string> argv{"/usr/bin/python3", script};
    argv.insert(argv.end(), files.begin(), files.end());
    return run_command(argv, true);
}
} // namespace

TEST_CASE("bench-pool: median, sign-test and Wilcoxon intervals of known rounds", "[bench]") {
    // Log ratios 0.01 .. 0.09. Median and Hodges-Lehmann: exp(0.05) = +5.1%. Sign test, n = 9:
    // P(B <= 1) = 10/512 <= 2.5% < P(B <= 2), so the 2nd smallest and largest: exp(0.02) = +2.0%,
    // exp(0.08) = +8.3%. Wilcoxon, n = 9: the critical value is 5, so the 6th smallest and
    // largest of the 45 pairwise means (in 0.01: 1, 1.5, 2, 2, 2.5, 2.5, ...): exp(0.025) =
    // +2.5%, exp(0.075) = +7.8%.
    auto r = pool({data + "symmetric.txt"});
    REQUIRE(r.status == 0);
    CHECK(r.out == data + "symmetric.txt: 9 rounds; median +5.1% (95% +2.0% .. +8.3%); "
                          "HL +5.1% (95% +2.5% .. +7.8%)\n");
}

TEST_CASE("bench-pool: reads bench-overhead.sh output and pools runs", "[bench]") {
    // The log's two rounds are 1.04 and 1.06 (its summary line also says 1.050x: not a round).
    auto r = pool({data + "symmetric.txt", data + "bench-overhead.log"});
    REQUIRE(r.status == 0);
    CHECK(r.out.find(data + "bench-overhead.log: 2 rounds; median +5.0% (too few rounds for an interval); "
                            "HL +5.0%\n") != std::string::npos);
    // 11 rounds: P(B <= 1) = 12/2048 <= 2.5% < P(B <= 2) = 67/2048: the 2nd smallest and largest.
    CHECK(r.out.find("pooled (2 runs): 11 rounds; median +5.1% (95% +2.0% .. +8.3%)") != std::string::npos);
}

TEST_CASE("bench-pool: a file without rounds is an error, not a figure", "[bench]") {
    auto r = pool({data + "symmetric.txt", std::string(GLASSBOX_SOURCE_DIR) + "/CMakeLists.txt"});
    CHECK(r.status == 1);
    CHECK(r.err.find("bench-pool: ") == 0);
    auto missing = pool({data + "no-such-file.txt"});
    CHECK(missing.status == 1);
    CHECK(missing.err.find("no-such-file.txt") != std::string::npos);
    CHECK(pool({}).status == 2);
}

TEST_CASE("bench-lib.sh's median_ci: the sign test's interval, from bench-pool --sign-ci", "[bench]") {
    // As bench-ab.sh and bench-overhead.sh use it. 7 numbers: P(B <= 0) = 1/128 <= 2.5% <
    // P(B <= 1) = 8/128, so the smallest and the largest; 5 numbers: no interval.
    auto ci = [](const std::string& numbers) {
        std::string sh = "source '";
        sh += GLASSBOX_SOURCE_DIR;
        sh += "/scripts/bench-lib.sh' && printf '" + numbers + "' | median_ci";
        return run_command({"/bin/bash", "-c", sh}).out;
    };
    CHECK(ci("1.05\\n1.01\\n1.03\\n1.02\\n1.04\\n1.06\\n1.07\\n") == "1.01 1.07\n");
    CHECK(ci("1.05\\n1.01\\n1.03\\n1.02\\n1.04\\n") == "- -\n");
}

TEST_CASE("bench-pool --hl: one run's Hodges-Lehmann figure, as bench-overhead.sh prints it", "[bench]") {
    // The symmetric rounds of the first test, through stdin: the same figure as in its report.
    std::string sh = "grep -v '^#' '" + data + "symmetric.txt' | /usr/bin/python3 '" + script + "' --hl";
    CHECK(run_command({"/bin/sh", "-c", sh}).out == "HL +5.1% (95% +2.5% .. +7.8%)\n");
}
