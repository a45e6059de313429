// HdrHistogram's V2 encoding, its zlib wrapper and base64: written from the format's description
// (HdrHistogram's encodeIntoCompressedByteBuffer and its log format docs), checked against
// hdr-histogram-js's reader in tests/hdr.
#include "stats/hdr_codec.h"

#include <zlib.h>

#include <array>
#include <bit>
#include <cstring>

namespace connperf::stats::hdr {

namespace {

constexpr std::size_t kV2HeaderBytes = 40;
constexpr std::size_t kMaxInflated = std::size_t{64} << 20;  // a foreign log's sanity bounds
constexpr std::size_t kMaxCounts = std::size_t{1} << 22;
constexpr std::string_view kBase64Digits =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void put_be(std::vector<std::uint8_t>& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

std::uint64_t get_be(std::span<const std::uint8_t> in, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | in[at + static_cast<std::size_t>(i)];
  return v;
}

void set_be32(std::vector<std::uint8_t>& out, std::size_t at, std::uint32_t v) {
  for (std::size_t i = 0; i < 4; ++i)
    out[at + i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
}

std::int32_t as_i32(std::uint64_t v) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
}

// One past the last non-zero count, at least 1 (HdrHistogram encodes up to its max value's index).
std::size_t counts_limit(const Histogram& h) {
  for (std::size_t i = Histogram::kBuckets; i > 0; --i)
    if (h.bucket_count(i - 1) != 0) return i;
  return 1;
}

std::optional<std::vector<std::uint8_t>> inflate_all(std::span<const std::uint8_t> in) {
  z_stream z{};
  if (inflateInit(&z) != Z_OK) return std::nullopt;
  std::vector<std::uint8_t> out;
  std::array<std::uint8_t, 16384> chunk{};
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (rc == Z_OK && out.size() <= kMaxInflated) {
    z.next_out = chunk.data();
    z.avail_out = static_cast<uInt>(chunk.size());
    rc = inflate(&z, Z_NO_FLUSH);
    out.insert(out.end(), chunk.data(), chunk.data() + (chunk.size() - z.avail_out));
    if (rc == Z_BUF_ERROR && z.avail_in == 0) break;  // the stream ended early
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END) return std::nullopt;
  return out;
}

int base64_value(char c) {
  const std::size_t at = kBase64Digits.find(c);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

}  // namespace

void put_varint(std::vector<std::uint8_t>& out, std::int64_t value) {
  auto v = (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
  for (int i = 0; i < 8; ++i) {
    if (v < 0x80) {
      out.push_back(static_cast<std::uint8_t>(v));
      return;
    }
    out.push_back(static_cast<std::uint8_t>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(v));  // the 9th byte: the top 8 bits whole
}

std::optional<std::int64_t> get_varint(std::span<const std::uint8_t> in, std::size_t& at) {
  std::uint64_t v = 0;
  for (int i = 0; i < 9; ++i) {
    if (at >= in.size()) return std::nullopt;
    const std::uint8_t b = in[at++];
    if (i == 8) {
      v |= std::uint64_t{b} << 56;
      break;
    }
    v |= std::uint64_t{b & 0x7fu} << (7 * i);
    if (!(b & 0x80)) break;
  }
  return static_cast<std::int64_t>((v >> 1) ^ (~(v & 1) + 1));
}

std::vector<std::uint8_t> encode_v2(const Histogram& h) {
  std::vector<std::uint8_t> out;
  put_be(out, static_cast<std::uint32_t>(kV2Cookie), 4);
  put_be(out, 0, 4);  // the payload's length, set below
  put_be(out, 0, 4);  // normalizing index offset
  put_be(out, static_cast<std::uint32_t>(kDigits), 4);
  put_be(out, static_cast<std::uint64_t>(kLowest), 8);
  put_be(out, static_cast<std::uint64_t>(kHighest), 8);
  put_be(out, std::bit_cast<std::uint64_t>(1.0), 8);  // integer-to-double value ratio
  const std::size_t limit = counts_limit(h);
  for (std::size_t i = 0; i < limit;) {
    const std::uint64_t n = h.bucket_count(i++);
    std::int64_t zeros = 0;
    if (n == 0)
      for (zeros = 1; i < limit && h.bucket_count(i) == 0; ++i) ++zeros;
    put_varint(out, zeros > 1 ? -zeros : static_cast<std::int64_t>(n));
  }
  set_be32(out, 4, static_cast<std::uint32_t>(out.size() - kV2HeaderBytes));
  return out;
}

std::vector<std::uint8_t> encode_compressed(const Histogram& h) {
  const std::vector<std::uint8_t> plain = encode_v2(h);
  uLongf size = compressBound(static_cast<uLong>(plain.size()));
  std::vector<std::uint8_t> out(8 + size);
  compress2(out.data() + 8, &size, plain.data(), static_cast<uLong>(plain.size()),
            Z_DEFAULT_COMPRESSION);  // Z_OK: the buffer is compressBound's
  out.resize(8 + size);
  set_be32(out, 0, static_cast<std::uint32_t>(kV2CompressedCookie));
  set_be32(out, 4, static_cast<std::uint32_t>(size));
  return out;
}

std::string encode_compressed_base64(const Histogram& h) {
  return base64_encode(encode_compressed(h));
}

std::string base64_encode(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t v = std::uint32_t{bytes[i]} << 16;
    if (n > 1) v |= std::uint32_t{bytes[i + 1]} << 8;
    if (n > 2) v |= bytes[i + 2];
    for (std::size_t k = 0; k < 4; ++k)
      out += k <= n ? kBase64Digits[(v >> (18 - 6 * k)) & 0x3f] : '=';
  }
  return out;
}

std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    std::uint32_t v = 0;
    std::size_t pad = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      const char c = text[i + k];
      const int d = c == '=' && i + 4 == text.size() && k >= 2 ? 0 : base64_value(c);
      if (d < 0 || (pad && c != '=')) return std::nullopt;
      if (c == '=') ++pad;
      v = (v << 6) | static_cast<std::uint32_t>(d);
    }
    for (std::size_t k = 0; k < 3 - pad; ++k)
      out.push_back(static_cast<std::uint8_t>(v >> (16 - 8 * k)));
  }
  return out;
}

std::optional<Decoded> decode_v2(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < kV2HeaderBytes || as_i32(get_be(bytes, 0, 4)) != kV2Cookie)
    return std::nullopt;
  const std::uint64_t payload = get_be(bytes, 4, 4);
  if (payload > bytes.size() - kV2HeaderBytes) return std::nullopt;
  Decoded d;
  d.normalizing_offset = as_i32(get_be(bytes, 8, 4));
  d.digits = as_i32(get_be(bytes, 12, 4));
  d.lowest = static_cast<std::int64_t>(get_be(bytes, 16, 8));
  d.highest = static_cast<std::int64_t>(get_be(bytes, 24, 8));
  d.ratio = std::bit_cast<double>(get_be(bytes, 32, 8));
  const auto counts = bytes.subspan(kV2HeaderBytes, payload);
  for (std::size_t at = 0; at < counts.size();) {
    const std::optional<std::int64_t> v = get_varint(counts, at);
    if (!v) return std::nullopt;
    if (*v < 0 && -*v > static_cast<std::int64_t>(kMaxCounts - d.counts.size()))
      return std::nullopt;
    if (*v < 0)
      d.counts.resize(d.counts.size() + static_cast<std::size_t>(-*v), 0);
    else
      d.counts.push_back(static_cast<std::uint64_t>(*v));
  }
  return d;
}

std::optional<Decoded> decode_compressed(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < 8 || as_i32(get_be(bytes, 0, 4)) != kV2CompressedCookie) return std::nullopt;
  const std::uint64_t size = get_be(bytes, 4, 4);
  if (size > bytes.size() - 8) return std::nullopt;
  const auto plain = inflate_all(bytes.subspan(8, size));
  if (!plain) return std::nullopt;
  return decode_v2(*plain);
}

std::optional<Decoded> decode_compressed_base64(std::string_view text) {
  const auto bytes = base64_decode(text);
  if (!bytes) return std::nullopt;
  return decode_compressed(*bytes);
}

}  // namespace connperf::stats::hdr
