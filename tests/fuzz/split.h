// What the fuzz targets share: the input's first byte seeds where the rest is cut into pieces,
// so one input exercises a parser both whole and fed incrementally at varied split points.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <string_view>

namespace connperf::fuzz {

// Piece lengths from a seed: mostly tiny (1-3 bytes: the boundary cases), sometimes larger.
class Splitter {
 public:
  explicit Splitter(std::uint8_t seed) noexcept : state_(seed * 2654435761u + 1) {}
  std::size_t next(std::size_t left) noexcept {
    state_ = state_ * 1103515245u + 12345u;
    const std::uint32_t r = state_ >> 16;
    const std::size_t n = (r & 3) != 0 ? 1 + (r >> 2) % 3 : 1 + (r >> 2) % 64;
    return n < left ? n : left;
  }

 private:
  std::uint32_t state_;
};

// Splits the input into (seed, payload).
inline std::string_view payload(const std::uint8_t* data, std::size_t size, std::uint8_t& seed) {
  seed = size ? data[0] : 0;
  return size ? std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1)
              : std::string_view{};
}

// A broken invariant: print it and abort, so libFuzzer saves the input as a crash.
[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}

inline void check(bool ok, const char* what) {
  if (!ok) fail(what);
}

}  // namespace connperf::fuzz
