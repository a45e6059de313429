// The object-size grammar of server --body and the clients' --object, and the path convention
// both sides (and nginx with files of those names) share.
#include <gtest/gtest.h>

#include "proto/object.h"

namespace connperf::proto {
namespace {

TEST(ObjectSize, UnitsAndBounds) {
  EXPECT_EQ(parse_object_size("1"), 1u);
  EXPECT_EQ(parse_object_size("1024"), 1024u);
  EXPECT_EQ(parse_object_size("1k"), 1024u);
  EXPECT_EQ(parse_object_size("64K"), 65536u);
  EXPECT_EQ(parse_object_size("1m"), 1048576u);
  EXPECT_EQ(parse_object_size("16m"), kMaxObjectSize);
  for (const char* bad : {"", "0", "0k", "k", "1.5k", "-1", "1g", "16385k", "17m", "1 k", "1kb",
                          "99999999999999999999"})
    EXPECT_FALSE(parse_object_size(bad)) << bad;
}

TEST(ObjectSet, SizeListAndMix) {
  ObjectSet s;
  EXPECT_EQ(parse_object_set("1k", true, s), "");
  EXPECT_EQ(s.sizes, (std::vector<std::uint64_t>{1024}));
  EXPECT_FALSE(s.mix);
  EXPECT_EQ(parse_object_set("1k,2k,4k,16k,64k", false, s), "");
  EXPECT_EQ(s.sizes, (std::vector<std::uint64_t>{1024, 2048, 4096, 16384, 65536}));
  EXPECT_EQ(parse_object_set("mix:1k=50,64k=25", true, s), "");
  EXPECT_TRUE(s.mix);
  EXPECT_EQ(s.sizes, (std::vector<std::uint64_t>{1024, 65536}));
  EXPECT_EQ(s.weights, (std::vector<std::uint32_t>{50, 25}));
}

TEST(ObjectSet, BadSpecsSayWhy) {
  ObjectSet s;
  EXPECT_NE(parse_object_set("", true, s), "");
  EXPECT_NE(parse_object_set("1k,", true, s), "");
  EXPECT_NE(parse_object_set("1k,1024", true, s), "");  // the same size twice
  EXPECT_NE(parse_object_set("mix:1k=50,64k=50", false, s), "");  // server --body: no mix
  EXPECT_NE(parse_object_set("mix:1k", true, s), "");
  EXPECT_NE(parse_object_set("mix:1k=0", true, s), "");
  EXPECT_NE(parse_object_set("mix:1k=x", true, s), "");
  EXPECT_NE(parse_object_set("mix:", true, s), "");
  EXPECT_NE(parse_object_set("1k=5", true, s), "");
  EXPECT_NE(parse_object_set("1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17", true, s), "");
  EXPECT_EQ(parse_object_set("1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16", true, s), "");
}

TEST(ObjectName, IsThePathAndParsesBack) {
  EXPECT_EQ(object_name(1024), "1k");
  EXPECT_EQ(object_name(65536), "64k");
  EXPECT_EQ(object_name(1048576), "1m");
  EXPECT_EQ(object_name(1536), "1536");
  EXPECT_EQ(object_name(100), "100");
  for (const std::uint64_t size : {1ull, 100ull, 1024ull, 1536ull, 65536ull, 16ull << 20})
    EXPECT_EQ(size_of_target("/" + object_name(size)), size);
  EXPECT_FALSE(size_of_target("/"));
  EXPECT_FALSE(size_of_target("/index.html"));
  EXPECT_FALSE(size_of_target("1k"));
  EXPECT_EQ(size_of_target("/1024"), 1024u);
}

}  // namespace
}  // namespace connperf::proto
