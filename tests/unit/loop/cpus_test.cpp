#include <gtest/gtest.h>

#include <pthread.h>
#include <sched.h>

#include <thread>

#include "loop/cpus.h"

namespace connperf::loop {
namespace {

using List = std::vector<unsigned>;

TEST(CpuList, ParsesSinglesRangesAndListsInTheOrderGiven) {
  EXPECT_EQ(parse_cpu_list("0"), List{0});
  EXPECT_EQ(parse_cpu_list("0,1"), (List{0, 1}));
  EXPECT_EQ(parse_cpu_list("0-3"), (List{0, 1, 2, 3}));
  EXPECT_EQ(parse_cpu_list("8-9,2,4-5"), (List{8, 9, 2, 4, 5}));
  EXPECT_EQ(parse_cpu_list("3-3"), List{3});
  EXPECT_EQ(parse_cpu_list("1,0-2,1"), (List{1, 0, 2}));  // each CPU once, at its first place
  EXPECT_EQ(parse_cpu_list("1023"), List{kMaxCpu});
}

TEST(CpuList, RefusesWhatIsNotAList) {
  for (const char* bad : {"", ",", "0,", ",0", "a", "0-", "-1", "3-1", "0 ,1", " 0", "0;1", "1024",
                          "0-1024", "+1", "0x1", "1--2", "99999999999999999999", "1-2-3"})
    EXPECT_THROW(parse_cpu_list(bad), CpuListError) << '"' << bad << '"';
}

TEST(CpuList, TheErrorNamesTheFlagAndTheValue) {
  try {
    parse_cpu_list("3-1");
    FAIL();
  } catch (const CpuListError& e) {
    EXPECT_EQ(std::string(e.what()), "--cpus: '3-1': the range 3-1 runs backwards");
  }
}

TEST(CpuList, FormatsAsTheKernelDoes) {
  EXPECT_EQ(format_cpu_list({}), "");
  EXPECT_EQ(format_cpu_list({0}), "0");
  EXPECT_EQ(format_cpu_list({3, 0, 1, 2, 8, 10, 11}), "0-3,8,10-11");
}

TEST(CpuList, AllowedIsWhatTheKernelSaysAndChecksAgainstIt) {
  const List allowed = allowed_cpus();
  ASSERT_FALSE(allowed.empty());
  EXPECT_EQ(checked_cpu_list(std::to_string(allowed.front())), List{allowed.front()});
  EXPECT_THROW(checked_cpu_list(std::to_string(kMaxCpu)), CpuListError);  // no host has 1024
  try {
    checked_cpu_list(std::to_string(kMaxCpu));
  } catch (const CpuListError& e) {
    EXPECT_NE(std::string(e.what()).find(format_cpu_list(allowed)), std::string::npos) << e.what();
  }
}

TEST(CpuList, PinsTheCallingThreadOnly) {
  const unsigned cpu = allowed_cpus().back();
  std::vector<unsigned> inside;
  std::thread t([&] {
    ASSERT_TRUE(pin_this_thread(cpu));
    inside = allowed_cpus();
  });
  t.join();
  EXPECT_EQ(inside, List{cpu});
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
  EXPECT_EQ(allowed_cpus().size(), static_cast<std::size_t>(CPU_COUNT(&set)))
      << "the test's own thread was not pinned";
}

}  // namespace
}  // namespace connperf::loop
