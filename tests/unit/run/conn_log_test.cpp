// The file a rank writes its connection log to under mpirun: the rank before the extension.
#include <gtest/gtest.h>

#include "run/conn_log.h"

namespace connperf::run {
namespace {

TEST(ConnLogRankFile, TheRankGoesBeforeTheExtension) {
  EXPECT_EQ(rank_file("conn.ndjson", 1), "conn.rank1.ndjson");
  EXPECT_EQ(rank_file("out/c.csv", 0), "out/c.rank0.csv");
  EXPECT_EQ(rank_file("log", 3), "log.rank3");
  EXPECT_EQ(rank_file("a.b/log", 2), "a.b/log.rank2");   // a dot in a folder's name
  EXPECT_EQ(rank_file("/tmp/.log", 2), "/tmp/.log.rank2");  // a dot file
}

}  // namespace
}  // namespace connperf::run
