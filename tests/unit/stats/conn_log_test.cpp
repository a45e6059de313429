// The connection log's ring and sampling: a full ring drops and counts, records come out in
// order, a producer and a consumer on two threads lose nothing that was not counted, and the
// sample keeps each worker's 1st connection and every Nth after it; rings made `shared` take
// a forked child's records (through a slice), the drops it counted included.
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include <gtest/gtest.h>

#include "stats/conn_log.h"

namespace connperf::stats {
namespace {

ConnRecord numbered(std::uint64_t i) {
  ConnRecord r;
  r.start_ns = i;
  return r;
}

TEST(ConnRing, FullRingDropsAndCounts) {
  ConnRing ring(4);
  for (std::uint64_t i = 0; i < 6; ++i) EXPECT_EQ(ring.push(numbered(i)), i < 4) << i;
  EXPECT_EQ(ring.dropped(), 2u);
  ConnRecord out[8];
  ASSERT_EQ(ring.pop(out, 8), 4u);
  for (std::uint64_t i = 0; i < 4; ++i) EXPECT_EQ(out[i].start_ns, i);
  EXPECT_TRUE(ring.push(numbered(9)));
  ASSERT_EQ(ring.pop(out, 8), 1u);
  EXPECT_EQ(out[0].start_ns, 9u);
}

TEST(ConnRing, TwoThreadsLoseOnlyWhatIsCounted) {
  constexpr std::uint64_t kN = 200'000;
  ConnRing ring(64);
  std::thread producer([&ring] {
    for (std::uint64_t i = 0; i < kN; ++i) ring.push(numbered(i));
  });
  std::uint64_t got = 0, last = 0;
  bool ordered = true;
  ConnRecord out[16];
  auto take = [&] {
    const std::size_t n = ring.pop(out, 16);
    for (std::size_t k = 0; k < n; ++k) {
      ordered = ordered && (got + k == 0 || out[k].start_ns > last);
      last = out[k].start_ns;
    }
    got += n;
    return n;
  };
  while (got + ring.dropped() < kN) take();
  producer.join();
  while (take() > 0) {}
  EXPECT_TRUE(ordered);
  EXPECT_EQ(got + ring.dropped(), kN);
}

TEST(ConnLogger, SamplesTheFirstAndEveryNth) {
  ConnLog log("", 2, 3, false, 16);
  ConnLogger w0(&log, 0, 1), off;
  std::string picks;
  for (int i = 0; i < 7; ++i) picks += w0.pick() ? 'x' : '.';
  EXPECT_EQ(picks, "x..x..x");
  EXPECT_FALSE(off.on());
  EXPECT_FALSE(off.pick());
}

TEST(ConnLogger, EndNamesAreTheSummarys) {
  EXPECT_STREQ(conn_end_name(to_end(ErrorKind::Refused)), "refused");
  EXPECT_STREQ(conn_end_name(to_end(ErrorKind::AddrUnavailable)), "addr_unavailable");
  EXPECT_STREQ(conn_end_name(to_end(ConnEnd::Completed)), "completed");
  EXPECT_STREQ(conn_end_name(to_end(ConnEnd::Aborted)), "aborted");
  EXPECT_STREQ(conn_end_name(to_end(ConnEnd::Rst)), "rst");
  EXPECT_STREQ(conn_end_name(to_end(ConnEnd::ClosedByServer)), "closed_by_server");
  EXPECT_STREQ(conn_end_name(to_end(ConnEnd::ServerErrors)), "errors");
}

TEST(ConnLog, SharedRingsTakeAForkedChildsRecords) {
  ConnLog log("", 4, 1, false, 8, true);
  const std::shared_ptr<ConnLog> part = log.slice(2, 2);
  ASSERT_EQ(part->workers(), 2u);
  EXPECT_EQ(part->first_worker(), 2u);
  const pid_t pid = ::fork();
  if (pid == 0) {  // worker 1 of the slice is worker 3 of the whole: 10 pushed, 2 dropped
    ConnLogger w(part.get(), 1, 0);
    for (std::uint64_t i = 0; i < 10; ++i) {
      ConnRecord r = numbered(i);
      w.put(ConnLogger::kNoSlot, -1, r);
    }
    ::_exit(0);
  }
  ASSERT_GT(pid, 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ConnRecord out[16];
  ASSERT_EQ(log.ring(3).pop(out, 16), 8u);
  EXPECT_EQ(out[7].start_ns, 7u);
  EXPECT_EQ(out[0].worker, 3u);
  EXPECT_EQ(log.ring(2).pop(out, 16), 0u);
  EXPECT_EQ(log.dropped(), 2u);
}

}  // namespace
}  // namespace connperf::stats
