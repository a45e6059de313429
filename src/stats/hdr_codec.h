// HdrHistogram's compressed V2 encoding of a connperf Histogram (what an HdrHistogram interval
// log line carries, base64), and its decoding, so a log can be checked without other tools.
// Pure functions; any thread.
//
// The layout: HdrHistogram with lowest discernible value 1, highest trackable value
// Histogram::kMaxValue (2^36 - 1) and 2 significant digits has 256 sub-buckets per bucket, of
// which the upper 128 are used above the first: values 0..255 counted one by one, then each
// [2^k, 2^(k+1)) in 128 equal steps, 3,840 counts in all — connperf's own buckets, index for
// index. So a count lands in the same bucket on both sides and nothing is lost in the encoding;
// connperf's quantization (a value is known to within 1/128 of itself above 255 µs, exactly
// below) is all the precision there is.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stats/histogram.h"

namespace connperf::stats::hdr {

inline constexpr std::int32_t kV2Cookie = 0x1c849313;            // uncompressed, ZigZag LEB128
inline constexpr std::int32_t kV2CompressedCookie = 0x1c849314;  // zlib of the above
inline constexpr std::int64_t kLowest = 1;
inline constexpr std::int64_t kHighest = static_cast<std::int64_t>(Histogram::kMaxValue);
inline constexpr std::int32_t kDigits = 2;

// ZigZag, then LEB128 in at most 9 bytes (the 9th byte carries 8 bits): HdrHistogram's varint.
void put_varint(std::vector<std::uint8_t>& out, std::int64_t value);
// Reads one varint at `at`, advancing it; nullopt when the bytes end inside it.
std::optional<std::int64_t> get_varint(std::span<const std::uint8_t> in, std::size_t& at);

// The V2 encoding: cookie, payload length, normalizing index offset (0), significant digits,
// lowest and highest trackable value, integer-to-double ratio (1.0), then the counts up to the
// last non-zero one (at least one), a run of more than one zero written as minus its length.
std::vector<std::uint8_t> encode_v2(const Histogram& h);
// The compressed form: compressed cookie, length of the zlib stream, the zlib stream of encode_v2.
std::vector<std::uint8_t> encode_compressed(const Histogram& h);
// base64 (RFC 4648, with padding) of encode_compressed: one interval log line's histogram.
std::string encode_compressed_base64(const Histogram& h);

std::string base64_encode(std::span<const std::uint8_t> bytes);
std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);

// What a V2 encoding says: its parameters and the counts array.
struct Decoded {
  std::int32_t normalizing_offset = 0;
  std::int32_t digits = 0;
  std::int64_t lowest = 0, highest = 0;
  double ratio = 0;
  std::vector<std::uint64_t> counts;  // index as HdrHistogram's counts array
};
// Decodes encode_v2's bytes; nullopt when they are not a V2 encoding.
std::optional<Decoded> decode_v2(std::span<const std::uint8_t> bytes);
// Decodes encode_compressed's bytes (or the base64 text of them); nullopt when malformed.
std::optional<Decoded> decode_compressed(std::span<const std::uint8_t> bytes);
std::optional<Decoded> decode_compressed_base64(std::string_view text);

}  // namespace connperf::stats::hdr
