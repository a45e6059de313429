// Small text helpers of HTTP parsing (RFC 9110 5.6): case-insensitive compare, optional
// whitespace, comma-separated lists, token characters.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace connperf::proto {

inline char ascii_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}

inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

inline std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls f(token) for each comma-separated token of a header value.
template <typename F>
void for_each_token(std::string_view value, F f) {
  for (std::size_t start = 0; start <= value.size();) {
    const std::size_t comma = std::min(value.find(',', start), value.size());
    f(trim(value.substr(start, comma - start)));
    start = comma + 1;
  }
}

// token characters (RFC 9110 5.6.2), by table: checked for every byte of every field name.
struct TcharTable {
  bool yes[256] = {};
  constexpr TcharTable() {
    for (int c = '0'; c <= '9'; ++c) yes[c] = true;
    for (int c = 'a'; c <= 'z'; ++c) yes[c] = yes[c - 32] = true;
    for (char c : std::string_view("!#$%&'*+-.^_`|~")) yes[static_cast<unsigned char>(c)] = true;
  }
};
inline constexpr TcharTable kTchar{};

inline bool is_tchar(char c) noexcept { return kTchar.yes[static_cast<unsigned char>(c)]; }

// The bytes a message head may hold besides its line ends (RFC 9110 5.5, 5.6.2; RFC 9112 2.2):
// HTAB, SP, VCHAR and obs-text. Everything else below 0x20 and DEL is refused; CR only before LF.
inline bool is_ctl(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return (u < 0x20 && u != '\t') || u == 0x7f;
}

// Eight bytes at a time: the high bit of each byte below 0x20 or DEL is set. Zero exactly when
// there is none; a borrow may set a false bit only above a real one, so the lowest set bit is
// always a real one.
inline std::uint64_t maybe_ctl8(std::uint64_t x) noexcept {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull;
  constexpr std::uint64_t kHigh = 0x8080808080808080ull;
  const std::uint64_t below_space = (x - kOnes * 0x20) & ~x & kHigh;
  const std::uint64_t del = x ^ (kOnes * 0x7f);
  return below_space | ((del - kOnes) & ~del & kHigh);
}

// Where the first byte that is a control (LF and CR included) lies in [data, data+len), or len.
// HTAB is skipped. The line scanner of every head and chunk line: one pass, no per-byte branch
// on ordinary text.
inline std::size_t find_ctl(const char* data, std::size_t len) noexcept {
  static_assert(std::endian::native == std::endian::little);
  std::size_t i = 0;
  while (i + 8 <= len) {
    std::uint64_t w;
    std::memcpy(&w, data + i, 8);
    const std::uint64_t m = maybe_ctl8(w);
    if (m == 0) {
      i += 8;
      continue;
    }
    const std::size_t k = i + (static_cast<std::size_t>(std::countr_zero(m)) >> 3);
    if (data[k] != '\t') return k;
    i = k + 1;  // HTAB, the one control allowed: go on after it
  }
  for (; i < len; ++i)
    if (is_ctl(data[i])) return i;
  return len;
}

// "HTTP/1.x" → x, or -1.
inline int http_minor(std::string_view v) noexcept {
  if (v.size() != 8 || v.substr(0, 7) != "HTTP/1." || v[7] < '0' || v[7] > '9') return -1;
  return v[7] - '0';
}

inline bool parse_decimal(std::string_view s, std::uint64_t& out) noexcept {
  if (s.empty() || s.size() > 18) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return true;
}

}  // namespace connperf::proto
