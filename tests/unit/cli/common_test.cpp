// Flag value parsing of the command line: targets and bind addresses; which modes go together.
#include <gtest/gtest.h>

#include "cli/common.h"

namespace connperf::cli {
namespace {

TEST(CliParse, TargetsAndBinds) {
  const auto t = parse_targets({"127.0.0.1:80", "[::1]:8080"});
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].name, "127.0.0.1:80");
  EXPECT_EQ(t[1].addr.port(), 8080);
  EXPECT_THROW(parse_targets({"127.0.0.1"}), UsageError);
  EXPECT_EQ(parse_binds({"127.0.0.2-127.0.0.5", "127.0.0.9"}).size(), 5u);
  EXPECT_THROW(parse_binds({"127.0.0.5-127.0.0.2"}), UsageError);
}

std::string refusal(const Modes& m) {
  try {
    check_modes(m);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(CheckModes, EachModeAloneRunsAndThePairsThatCannotAreNamed) {
  EXPECT_EQ(refusal({}), "");
  EXPECT_EQ(refusal({.search = true}), "");
  EXPECT_EQ(refusal({.sweep = true}), "");
  EXPECT_EQ(refusal({.server_stats = true}), "");
  EXPECT_EQ(refusal({.lab = true}), "");
  EXPECT_EQ(refusal({.ranks = true}), "");
  EXPECT_EQ(refusal({.search = true, .sweep = true}), "--search and --sweep: one at a time");
  EXPECT_EQ(refusal({.search = true, .server_stats = true}), "--server-stats: not with --search");
  EXPECT_EQ(refusal({.sweep = true, .server_stats = true}), "--server-stats: not with --sweep");
  EXPECT_EQ(refusal({.sweep = true, .lab = true}), "lab run: --sweep does not run here");
  EXPECT_EQ(refusal({.server_stats = true, .lab = true}),
            "lab run: no --server-stats here: lab run reconciles with its own server");
  EXPECT_EQ(refusal({.search = true, .ranks = true}), "--search does not run under mpirun yet");
  EXPECT_EQ(refusal({.server_stats = true, .ranks = true}),
            "--server-stats does not run under mpirun yet");
}

}  // namespace
}  // namespace connperf::cli
