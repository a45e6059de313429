// The progress line's text.
#include <gtest/gtest.h>

#include "cli/report.h"

namespace connperf::cli {
namespace {

TEST(Progress, SaysWhereARunIs) {
  EXPECT_EQ(progress_text(12, 30, -1), "12.0 s of 30 s, 40%, 18 s left");
  EXPECT_EQ(progress_text(5, 0, 0.25), "25% of -n done, 5.0 s, about 15 s left");
  EXPECT_EQ(progress_text(3, 0, -1), "3.0 s");
  EXPECT_EQ(step_progress_text(1, 9, 2, 6, "epoll, 100 connections"),
            "step 2 of 9: epoll, 100 connections, about 46 s left");
  EXPECT_EQ(progress_text(30, 600, -1), "30.0 s of 10m00s, 5%, 9m30s left");
}

}  // namespace
}  // namespace connperf::cli
