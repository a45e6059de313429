// --object on the load engines: the order of a LIST, the weights of a mix (the same sequence for
// the same seed), the request bytes per target and size, and what a response must be.
#include <map>

#include <gtest/gtest.h>

#include "load/objects.h"

namespace connperf::load {
namespace {

proto::ObjectSet object_set_of(const char* text) {
  proto::ObjectSet s;
  EXPECT_EQ(proto::parse_object_set(text, true, s), "") << text;
  return s;
}

TEST(ObjectPicker, ListTakesSizesInTurn) {
  ObjectPicker p(object_set_of("1k,2k,4k"), 0);
  for (int round = 0; round < 3; ++round)
    for (std::uint8_t i = 0; i < 3; ++i) EXPECT_EQ(p.next(), i);
}

TEST(ObjectPicker, MixFollowsTheWeightsAndRepeatsPerSeed) {
  const proto::ObjectSet set = object_set_of("mix:1k=50,64k=30,2k=20");
  ObjectPicker a(set, 3), b(set, 3), other(set, 4);
  std::map<int, int> counts;
  int same_as_other = 0;
  constexpr int kPicks = 100'000;
  for (int i = 0; i < kPicks; ++i) {
    const std::uint8_t x = a.next();
    EXPECT_EQ(x, b.next());
    same_as_other += x == other.next();
    ++counts[x];
  }
  EXPECT_NEAR(counts[0], kPicks * 0.5, kPicks * 0.01);
  EXPECT_NEAR(counts[1], kPicks * 0.3, kPicks * 0.01);
  EXPECT_NEAR(counts[2], kPicks * 0.2, kPicks * 0.01);
  EXPECT_LT(same_as_other, kPicks * 0.5);  // another seed, another sequence
}

TEST(ObjectRequests, OnePerTargetAndSizeNamedByPath) {
  const auto reqs = object_requests({"a:1", "b:2"}, object_set_of("1k,64k"));
  ASSERT_EQ(reqs.size(), 4u);
  EXPECT_EQ(reqs[0].rfind("GET /1k HTTP/1.1\r\nHost: a:1\r\n", 0), 0u) << reqs[0];
  EXPECT_EQ(reqs[1].rfind("GET /64k HTTP/1.1\r\nHost: a:1\r\n", 0), 0u) << reqs[1];
  EXPECT_EQ(reqs[3].rfind("GET /64k HTTP/1.1\r\nHost: b:2\r\n", 0), 0u) << reqs[3];
}

stats::ErrorKind mismatch_of(const std::string& response, std::uint64_t size) {
  proto::ResponseFramer f;
  f.reset();
  std::size_t used = 0;
  EXPECT_EQ(f.feed(response.data(), response.size(), used), proto::FrameStatus::Complete);
  return object_mismatch(f, size);
}

TEST(ObjectMismatch, StatusShortLongOrTheObject) {
  const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd";
  EXPECT_EQ(mismatch_of(ok, 4), stats::ErrorKind::Count);
  EXPECT_EQ(mismatch_of(ok, 5), stats::ErrorKind::BodyShort);
  EXPECT_EQ(mismatch_of(ok, 3), stats::ErrorKind::BodyLong);
  EXPECT_EQ(mismatch_of("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 4),
            stats::ErrorKind::Status);
  EXPECT_EQ(mismatch_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n", 4),
            stats::ErrorKind::Count);
}

// Body bytes are exact however the response arrives: byte by byte, fixed length or chunked.
TEST(ObjectMismatch, BodyBytesByteByByte) {
  for (const std::string r : {std::string("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabcde"),
                              std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                          "3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n")}) {
    proto::ResponseFramer f;
    f.reset();
    proto::FrameStatus st = proto::FrameStatus::NeedMore;
    for (std::size_t i = 0; i < r.size(); ++i) {
      std::size_t used = 0;
      st = f.feed(r.data() + i, 1, used);
      if (st != proto::FrameStatus::NeedMore) {
        EXPECT_EQ(i + 1, r.size());
        break;
      }
    }
    EXPECT_EQ(st, proto::FrameStatus::Complete) << r;
    EXPECT_EQ(f.body_bytes(), 5u) << r;
    EXPECT_EQ(object_mismatch(f, 5), stats::ErrorKind::Count);
  }
}

}  // namespace
}  // namespace connperf::load
