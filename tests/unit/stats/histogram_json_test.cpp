// Unit tests for stats::histogram_json / histogram_from_json: round trip, exact merge, refusals.
#include "stats/histogram_json.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace connperf::stats {
namespace {

TEST(HistogramJson, RoundTripKeepsEveryBucketAndTheExactExtremes) {
  Histogram h;
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> d(6.0, 2.0);
  for (int i = 0; i < 20000; ++i) h.record(static_cast<std::uint64_t>(d(rng)));
  h.record(Histogram::kMaxValue + 5);  // clamped
  std::string error;
  const auto back = histogram_from_json(histogram_json(h), error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->count(), h.count());
  EXPECT_EQ(back->sum(), h.sum());
  EXPECT_EQ(back->min(), h.min());
  EXPECT_EQ(back->max(), h.max());
  for (std::size_t i = 0; i < Histogram::kBuckets; ++i) ASSERT_EQ(back->bucket_count(i), h.bucket_count(i)) << i;
  for (double p : {50.0, 90.0, 99.0, 99.9, 100.0}) EXPECT_EQ(back->percentile(p), h.percentile(p));
}

TEST(HistogramJson, MergedPartsGiveThePercentilesOfOneHistogramFedEverySample) {
  Histogram all, a, b, c;
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<std::uint64_t> d(1, 5'000'000);
  Histogram* parts[] = {&a, &b, &c};
  for (int i = 0; i < 30000; ++i) {
    const std::uint64_t v = d(rng) >> (i % 3 * 4);  // three different distributions
    all.record(v);
    parts[i % 3]->record(v);
  }
  Histogram merged;
  std::string error;
  for (Histogram* p : parts) {
    const auto back = histogram_from_json(histogram_json(*p), error);
    ASSERT_TRUE(back) << error;
    merged.add(*back);
  }
  EXPECT_EQ(merged.count(), all.count());
  EXPECT_EQ(merged.sum(), all.sum());
  for (double p : {1.0, 50.0, 90.0, 99.0, 99.9, 100.0}) EXPECT_EQ(merged.percentile(p), all.percentile(p)) << p;
}

TEST(HistogramJson, AnEmptyHistogramRoundTrips) {
  std::string error;
  const auto back = histogram_from_json(histogram_json(Histogram{}), error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->count(), 0u);
  EXPECT_EQ(back->max(), 0u);
}

TEST(HistogramJson, RefusesOtherParametersAndMalformedBuckets) {
  Histogram h;
  h.record(1000);
  std::string error;
  auto j = histogram_json(h);
  j["sub_buckets"] = 64;
  EXPECT_FALSE(histogram_from_json(j, error));
  EXPECT_NE(error.find("parameters"), std::string::npos);

  j = histogram_json(h);
  j["buckets"][0][0] = 1001;  // inside a bucket, not its low edge
  EXPECT_FALSE(histogram_from_json(j, error));

  j = histogram_json(h);
  j["count"] = 2;  // buckets hold 1
  EXPECT_FALSE(histogram_from_json(j, error));

  EXPECT_FALSE(histogram_from_json(nlohmann::json{{"x", 1}}, error));
  EXPECT_FALSE(histogram_from_json(nlohmann::json::parse(R"({"unit":"us","buckets":[[1,-3]]})"), error));
}

}  // namespace
}  // namespace connperf::stats
