// Histogram: bucket math, recording, merge/subtract and percentile queries.
// Threading: mutators run on the single writer thread only; const queries are safe on any snapshot copy.
#include "stats/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace connperf::stats {

namespace {
constexpr std::size_t kExact = 256;  // values below this have their own bucket
constexpr std::size_t kSub = 128;    // sub-buckets per power of two above kExact
}  // namespace

Histogram::Histogram(const Histogram& other) noexcept { copy_from(other); }

Histogram& Histogram::operator=(const Histogram& other) noexcept {
  if (this != &other) copy_from(other);
  return *this;
}

// The count is the sum of the buckets copied, not the writer's count cell: a copy taken while the
// writer records is then consistent with itself (its percentiles and its encoding agree).
void Histogram::copy_from(const Histogram& other) noexcept {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    const std::uint64_t b = load(other.buckets_[i]);
    store(buckets_[i], b);
    n += b;
  }
  store(count_, n);
  store(sum_, load(other.sum_));
  store(min_, load(other.min_));
  store(max_, load(other.max_));
}

// index = shift * 128 + (v >> shift) with shift = bit_width(v | 255) - 8; shift is 0 below 256.
std::size_t Histogram::bucket_index(std::uint64_t value) noexcept {
  const std::uint64_t v = std::min(value, kMaxValue);
  const int shift = static_cast<int>(std::bit_width(v | (kExact - 1))) - 8;
  return static_cast<std::size_t>(shift) * kSub + static_cast<std::size_t>(v >> shift);
}

std::uint64_t Histogram::bucket_low(std::size_t index) noexcept {
  const std::size_t i = std::min(index, kBuckets - 1);
  if (i < kExact) return i;
  const std::size_t shift = i / kSub - 1;
  return std::uint64_t{i % kSub + kSub} << shift;
}

std::uint64_t Histogram::bucket_high(std::size_t index) noexcept {
  const std::size_t i = std::min(index, kBuckets - 1);
  if (i < kExact) return i;
  const std::size_t shift = i / kSub - 1;
  return (std::uint64_t{i % kSub + kSub + 1} << shift) - 1;
}

std::uint64_t Histogram::representative(std::size_t index) noexcept {
  const std::uint64_t lo = bucket_low(index);
  return lo + (bucket_high(index) - lo) / 2;
}

void Histogram::drop(Cell& c, std::uint64_t n) noexcept {
  const std::uint64_t v = load(c);
  store(c, v > n ? v - n : 0);
}

void Histogram::lower_min(std::uint64_t v) noexcept {
  if (v < load(min_)) store(min_, v);
}

void Histogram::raise_max(std::uint64_t v) noexcept {
  if (v > load(max_)) store(max_, v);
}

void Histogram::record_n(std::uint64_t value, std::uint64_t n) noexcept {
  if (n == 0) return;
  const std::uint64_t v = std::min(value, kMaxValue);
  bump(buckets_[bucket_index(v)], n);
  bump(count_, n);
  bump(sum_, v * n);
  lower_min(v);
  raise_max(v);
}

void Histogram::add(const Histogram& other) noexcept {
  if (other.count() == 0) return;
  for (std::size_t i = 0; i < kBuckets; ++i) bump(buckets_[i], load(other.buckets_[i]));
  bump(count_, other.count());
  bump(sum_, other.sum());
  lower_min(load(other.min_));
  raise_max(load(other.max_));
}

void Histogram::subtract(const Histogram& older) noexcept {
  const std::uint64_t old_min = load(min_);
  const std::uint64_t old_max = load(max_);
  for (std::size_t i = 0; i < kBuckets; ++i) drop(buckets_[i], load(older.buckets_[i]));
  drop(count_, load(older.count_));
  drop(sum_, load(older.sum_));
  recompute_extremes(old_min, old_max);
}

void Histogram::recompute_extremes(std::uint64_t old_min, std::uint64_t old_max) noexcept {
  std::size_t first = kBuckets;
  std::size_t last = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    if (load(buckets_[i]) == 0) continue;
    first = std::min(first, i);
    last = i;
  }
  if (first == kBuckets) {
    store(min_, kNoMin);
    store(max_, 0);
    return;
  }
  store(min_, std::max(bucket_low(first), old_min));
  store(max_, std::min(bucket_high(last), old_max));
}

Histogram Histogram::from_parts(std::span<const std::pair<std::size_t, std::uint64_t>> buckets,
                                std::uint64_t sum, std::uint64_t min, std::uint64_t max) noexcept {
  Histogram h;
  for (const auto& [index, n] : buckets) {
    if (index >= kBuckets || n == 0) continue;
    bump(h.buckets_[index], n);
    bump(h.count_, n);
  }
  if (h.count() == 0) return h;
  store(h.sum_, sum);
  store(h.min_, min);
  store(h.max_, max);
  return h;
}

void Histogram::reset() noexcept {
  for (Cell& b : buckets_) store(b, 0);
  store(count_, 0);
  store(sum_, 0);
  store(min_, kNoMin);
  store(max_, 0);
}

double Histogram::mean() const noexcept {
  const std::uint64_t n = count();
  return n == 0 ? 0.0 : static_cast<double>(sum()) / static_cast<double>(n);
}

std::uint64_t Histogram::percentile(double p) const noexcept {
  const std::uint64_t n = count();
  if (n == 0) return 0;
  if (p >= 100.0) return max();
  const double clamped = p > 0.0 ? p : 0.0;  // also maps NaN to 0
  const double r = std::ceil(clamped * static_cast<double>(n) / 100.0);
  const std::uint64_t rank = std::min(n, r < 1.0 ? std::uint64_t{1} : static_cast<std::uint64_t>(r));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += load(buckets_[i]);
    if (seen >= rank) return std::min(std::max(representative(i), min()), max());
  }
  return max();  // torn snapshot: buckets short of count
}

}  // namespace connperf::stats
