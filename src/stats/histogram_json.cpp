// Histogram <-> JSON (sparse buckets with the histogram's parameters).
#include "stats/histogram_json.h"

#include <utility>
#include <vector>

namespace connperf::stats {

namespace {
constexpr std::uint64_t kExactBelow = 256;
constexpr std::uint64_t kSubBuckets = 128;

bool is_count(const nlohmann::json& j) { return j.is_number_unsigned() || (j.is_number_integer() && j.get<std::int64_t>() >= 0); }
}  // namespace

nlohmann::json histogram_json(const Histogram& h) {
  nlohmann::json buckets = nlohmann::json::array();
  for (std::size_t i = 0; i < Histogram::kBuckets; ++i) {
    if (const std::uint64_t n = h.bucket_count(i); n != 0) buckets.push_back({Histogram::bucket_low(i), n});
  }
  return {{"unit", "us"},          {"exact_below", kExactBelow},
          {"sub_buckets", kSubBuckets}, {"max_value", Histogram::kMaxValue},
          {"count", h.count()},     {"sum", h.sum()},
          {"min", h.min()},         {"max", h.max()},
          {"buckets", std::move(buckets)}};
}

std::optional<Histogram> histogram_from_json(const nlohmann::json& j, std::string& error) {
  if (!j.is_object() || !j.contains("buckets") || !j["buckets"].is_array()) {
    error = "not a histogram (no buckets)";
    return std::nullopt;
  }
  auto param = [&j](const char* key) -> std::optional<std::uint64_t> {
    if (!j.contains(key) || !is_count(j[key])) return std::nullopt;
    return j[key].get<std::uint64_t>();
  };
  if (j.value("unit", "") != "us" || param("exact_below") != kExactBelow ||
      param("sub_buckets") != kSubBuckets || param("max_value") != Histogram::kMaxValue) {
    error = "histogram parameters differ from this build's (unit us, exact_below 256, sub_buckets 128)";
    return std::nullopt;
  }
  std::vector<std::pair<std::size_t, std::uint64_t>> parts;
  std::uint64_t count = 0;
  for (const auto& b : j["buckets"]) {
    if (!b.is_array() || b.size() != 2 || !is_count(b[0]) || !is_count(b[1])) {
      error = "histogram bucket is not [low, count]";
      return std::nullopt;
    }
    const auto low = b[0].get<std::uint64_t>();
    const std::size_t index = Histogram::bucket_index(low);
    if (low > Histogram::kMaxValue || Histogram::bucket_low(index) != low) {
      error = "histogram bucket " + std::to_string(low) + " is not a bucket boundary";
      return std::nullopt;
    }
    count += b[1].get<std::uint64_t>();
    parts.emplace_back(index, b[1].get<std::uint64_t>());
  }
  const auto sum = param("sum"), min = param("min"), max = param("max"), n = param("count");
  if (!sum || !min || !max || n != count) {
    error = "histogram count/sum/min/max missing or inconsistent with its buckets";
    return std::nullopt;
  }
  return Histogram::from_parts(parts, *sum, *min, *max);
}

}  // namespace connperf::stats
