// Histogram: fixed-memory HdrHistogram-style log-linear latency histogram (uint64 microseconds).
// Threading: ONE writer thread mutates it; any thread may snapshot by copy (relaxed, torn by <= 1
// record; the copy's count is the sum of its buckets, so a copy agrees with itself).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <utility>

namespace connperf::stats {

// Values 0..255 get exact buckets; each [2^k, 2^(k+1)) for k = 8..35 is split into 128 equal
// sub-buckets (relative error <= 1/128). Values above kMaxValue are clamped to kMaxValue.
class Histogram {
 public:
  static constexpr std::uint64_t kMaxValue = (std::uint64_t{1} << 36) - 1;
  static constexpr std::size_t kBuckets = 256 + 28 * 128;

  Histogram() noexcept = default;
  Histogram(const Histogram& other) noexcept;
  Histogram& operator=(const Histogram& other) noexcept;

  void record(std::uint64_t value) noexcept { record_n(value, 1); }  // single writer
  void record_n(std::uint64_t value, std::uint64_t n) noexcept;
  void add(const Histogram& other) noexcept;       // merge: buckets add, min/max combine
  void subtract(const Histogram& older) noexcept;  // this -= older (older: earlier snapshot)
  void reset() noexcept;

  std::uint64_t count() const noexcept { return load(count_); }
  std::uint64_t sum() const noexcept { return load(sum_); }
  std::uint64_t min() const noexcept { return count() == 0 ? 0 : load(min_); }  // 0 when empty
  std::uint64_t max() const noexcept { return count() == 0 ? 0 : load(max_); }  // 0 when empty
  double mean() const noexcept;                                                 // 0 when empty
  // Nearest-rank percentile, p in [0,100]; bucket representative clamped to [min, max]. 0 when empty.
  std::uint64_t percentile(double p) const noexcept;

  std::uint64_t bucket_count(std::size_t index) const noexcept { return load(buckets_[index]); }
  // Rebuilds a histogram from its parts (a serialized one): bucket index -> count, and the exact
  // sum, min and max it was recorded with. Indexes >= kBuckets are ignored.
  static Histogram from_parts(std::span<const std::pair<std::size_t, std::uint64_t>> buckets,
                              std::uint64_t sum, std::uint64_t min, std::uint64_t max) noexcept;

  static std::size_t bucket_index(std::uint64_t value) noexcept;
  static std::uint64_t bucket_low(std::size_t index) noexcept;   // smallest value in the bucket
  static std::uint64_t bucket_high(std::size_t index) noexcept;  // largest value in the bucket

 private:
  using Cell = std::atomic<std::uint64_t>;
  static constexpr std::uint64_t kNoMin = std::numeric_limits<std::uint64_t>::max();

  static std::uint64_t load(const Cell& c) noexcept { return c.load(std::memory_order_relaxed); }
  static void store(Cell& c, std::uint64_t v) noexcept { c.store(v, std::memory_order_relaxed); }
  static void bump(Cell& c, std::uint64_t n) noexcept { store(c, load(c) + n); }
  static void drop(Cell& c, std::uint64_t n) noexcept;  // saturating c -= n
  static std::uint64_t representative(std::size_t index) noexcept;

  void copy_from(const Histogram& other) noexcept;
  void lower_min(std::uint64_t v) noexcept;
  void raise_max(std::uint64_t v) noexcept;
  void recompute_extremes(std::uint64_t old_min, std::uint64_t old_max) noexcept;

  std::array<Cell, kBuckets> buckets_{};
  Cell count_{0};
  Cell sum_{0};
  Cell min_{kNoMin};
  Cell max_{0};
};

}  // namespace connperf::stats
