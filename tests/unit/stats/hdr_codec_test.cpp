// Unit tests for stats/hdr_codec: the varint and base64 against published vectors, a V2 encoding
// checked byte by byte, HdrHistogram's own index formula against connperf's buckets, and
// round trips of encoded histograms through the decoder.
#include "stats/hdr_codec.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace connperf::stats::hdr {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes varint(std::int64_t v) {
  Bytes out;
  put_varint(out, v);
  return out;
}

Bytes bytes_of(const std::string& s) { return Bytes(s.begin(), s.end()); }

// HdrHistogram's counts index of `v` for lowest 1, 2 significant digits (256 sub-buckets, unit
// magnitude 0), written from its countsArrayIndex: bucket = 56 - clz(v | 255),
// sub = v >> bucket, index = ((bucket + 1) << 7) + sub - 128.
std::size_t hdr_index(std::uint64_t v) {
  const int bucket = 56 - std::countl_zero(v | 255u);
  const std::uint64_t sub = v >> bucket;
  return (static_cast<std::size_t>(bucket + 1) << 7) + static_cast<std::size_t>(sub) - 128;
}

TEST(HdrVarint, ZigZagLeb128Vectors) {
  EXPECT_EQ(varint(0), (Bytes{0x00}));
  EXPECT_EQ(varint(-1), (Bytes{0x01}));
  EXPECT_EQ(varint(1), (Bytes{0x02}));
  EXPECT_EQ(varint(63), (Bytes{0x7e}));
  EXPECT_EQ(varint(-64), (Bytes{0x7f}));
  EXPECT_EQ(varint(64), (Bytes{0x80, 0x01}));
  EXPECT_EQ(varint(-276), (Bytes{0xa7, 0x04}));  // 551 = 0x227
  // Nine bytes at most: the ninth carries 8 bits whole.
  EXPECT_EQ(varint(std::numeric_limits<std::int64_t>::max()),
            (Bytes{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
  EXPECT_EQ(varint(std::numeric_limits<std::int64_t>::min()), Bytes(9, 0xff));
}

TEST(HdrVarint, RoundTripsAndStopsAtTruncation) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 2000; ++i) {
    const auto v = static_cast<std::int64_t>(rng() >> (rng() % 64));
    for (const std::int64_t x : {v, -v}) {
      const Bytes b = varint(x);
      std::size_t at = 0;
      EXPECT_EQ(get_varint(b, at), x);
      EXPECT_EQ(at, b.size());
    }
  }
  const Bytes cut = {0x80, 0x80};
  std::size_t at = 0;
  EXPECT_FALSE(get_varint(cut, at));
}

TEST(HdrBase64, Rfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, coded] : vectors) {
    EXPECT_EQ(base64_encode(bytes_of(plain)), coded);
    EXPECT_EQ(base64_decode(coded), bytes_of(plain)) << coded;
  }
  EXPECT_FALSE(base64_decode("Zm9"));
  EXPECT_FALSE(base64_decode("Zm=v"));
  EXPECT_FALSE(base64_decode("Zm9v!A=="));
}

TEST(HdrLayout, HdrHistogramsIndexIsConnperfsBucket) {
  for (std::uint64_t v = 0; v < 70'000; ++v)
    ASSERT_EQ(hdr_index(v), Histogram::bucket_index(v)) << v;
  std::mt19937_64 rng(11);
  for (int i = 0; i < 100'000; ++i) {
    const std::uint64_t v = rng() % (Histogram::kMaxValue + 1);
    ASSERT_EQ(hdr_index(v), Histogram::bucket_index(v)) << v;
  }
  EXPECT_EQ(hdr_index(static_cast<std::uint64_t>(kHighest)), Histogram::kBuckets - 1);
}

// 1 once and 300 twice, by hand: counts[0] = 0, counts[1] = 1, counts[2..277] = 0,
// counts[278] = 2 (300 is in [256, 512), width 2: 128 + 300 / 2).
TEST(HdrEncode, SmallHistogramByteForByte) {
  Histogram h;
  h.record(1);
  h.record_n(300, 2);
  const Bytes expected = {
      0x1c, 0x84, 0x93, 0x13,                          // V2 cookie
      0x00, 0x00, 0x00, 0x05,                          // payload: 5 bytes
      0x00, 0x00, 0x00, 0x00,                          // normalizing index offset
      0x00, 0x00, 0x00, 0x02,                          // significant digits
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  // lowest discernible value
      0x00, 0x00, 0x00, 0x0f, 0xff, 0xff, 0xff, 0xff,  // highest trackable value 2^36 - 1
      0x3f, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // integer-to-double ratio 1.0
      0x00,        // one zero: written as 0
      0x02,        // 1
      0xa7, 0x04,  // 276 zeros: -276
      0x04,        // 2
  };
  EXPECT_EQ(encode_v2(h), expected);
}

TEST(HdrEncode, EmptyHistogramWritesOneZeroCount) {
  const Bytes b = encode_v2(Histogram{});
  ASSERT_EQ(b.size(), 41u);
  EXPECT_EQ(b[7], 1);
  EXPECT_EQ(b[40], 0);
}

TEST(HdrEncode, CompressedFormStartsWithItsCookieAndInflatesToV2) {
  Histogram h;
  for (std::uint64_t v = 1; v < 5000; v += 7) h.record(v);
  const Bytes c = encode_compressed(h);
  ASSERT_GT(c.size(), 8u);
  EXPECT_EQ((Bytes{c[0], c[1], c[2], c[3]}), (Bytes{0x1c, 0x84, 0x93, 0x14}));
  const std::uint32_t length = (std::uint32_t{c[4]} << 24) | (std::uint32_t{c[5]} << 16) |
                               (std::uint32_t{c[6]} << 8) | c[7];
  EXPECT_EQ(length, c.size() - 8);
  EXPECT_EQ(c[8], 0x78);  // a zlib stream (deflate, 32 KiB window)
  // The base64 of the compressed cookie is what every HdrHistogram log line starts with.
  EXPECT_EQ(encode_compressed_base64(h).substr(0, 8), "HISTFAAA");
}

void expect_same_counts(const Histogram& h, const Decoded& d) {
  EXPECT_EQ(d.digits, kDigits);
  EXPECT_EQ(d.lowest, kLowest);
  EXPECT_EQ(d.highest, kHighest);
  EXPECT_EQ(d.ratio, 1.0);
  EXPECT_EQ(d.normalizing_offset, 0);
  ASSERT_LE(d.counts.size(), Histogram::kBuckets);
  for (std::size_t i = 0; i < Histogram::kBuckets; ++i)
    ASSERT_EQ(i < d.counts.size() ? d.counts[i] : 0, h.bucket_count(i)) << "index " << i;
}

TEST(HdrRoundTrip, RandomHistogramsDecodeToTheSameCounts) {
  std::mt19937_64 rng(3);
  for (int round = 0; round < 20; ++round) {
    Histogram h;
    const int values = 1 + static_cast<int>(rng() % 5000);
    for (int i = 0; i < values; ++i) {
      const std::uint64_t v = rng() >> (28 + rng() % 36);  // spread over every magnitude
      h.record_n(v, 1 + rng() % (round % 2 ? 3 : std::uint64_t{1} << 40));
    }
    const auto d = decode_compressed_base64(encode_compressed_base64(h));
    ASSERT_TRUE(d);
    expect_same_counts(h, *d);
  }
}

TEST(HdrRoundTrip, ExtremesAndEmpty) {
  Histogram h;
  h.record(0);
  h.record(Histogram::kMaxValue);
  h.record_n(255, std::uint64_t{1} << 62);  // needs the ninth varint byte
  auto d = decode_compressed(encode_compressed(h));
  ASSERT_TRUE(d);
  expect_same_counts(h, *d);
  EXPECT_EQ(d->counts.size(), Histogram::kBuckets);
  d = decode_compressed(encode_compressed(Histogram{}));
  ASSERT_TRUE(d);
  expect_same_counts(Histogram{}, *d);
}

TEST(HdrDecode, RefusesWhatIsNotACompressedV2Histogram) {
  Histogram h;
  h.record(1000);
  Bytes c = encode_compressed(h);
  EXPECT_FALSE(decode_compressed(Bytes(c.begin(), c.end() - 3)));  // truncated stream
  Bytes wrong = c;
  wrong[3] = 0x13;  // the uncompressed cookie
  EXPECT_FALSE(decode_compressed(wrong));
  Bytes bad_zlib = c;
  bad_zlib[10] ^= 0xff;
  EXPECT_FALSE(decode_compressed(bad_zlib));
  EXPECT_FALSE(decode_v2(Bytes(10, 0)));
  EXPECT_FALSE(decode_compressed_base64("not base64!"));
}

}  // namespace
}  // namespace connperf::stats::hdr
