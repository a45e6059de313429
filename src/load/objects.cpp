#include "load/objects.h"

#include "proto/request.h"

namespace connperf::load {

ObjectPicker::ObjectPicker(const proto::ObjectSet& set, unsigned seed)
    : state_(0x9e3779b97f4a7c15ull * (seed + 1)),
      count_(static_cast<std::uint8_t>(set.sizes.empty() ? 1 : set.sizes.size())) {
  std::uint64_t sum = 0;
  if (set.mix)
    for (const std::uint32_t w : set.weights) cumulative_.push_back(sum += w);
}

std::uint8_t ObjectPicker::next() noexcept {
  if (cumulative_.empty()) {
    const std::uint8_t i = turn_;
    turn_ = static_cast<std::uint8_t>((turn_ + 1) % count_);
    return i;
  }
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);  // splitmix64
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  const std::uint64_t pick = (z ^ (z >> 31)) % cumulative_.back();
  std::uint8_t i = 0;
  while (pick >= cumulative_[i]) ++i;
  return i;
}

std::vector<std::string> object_requests(const std::vector<std::string>& hosts,
                                         const proto::ObjectSet& set) {
  std::vector<std::string> out;
  for (const std::string& host : hosts)
    for (const std::uint64_t size : set.sizes)
      out.push_back(proto::build_get_request(host, "/" + proto::object_name(size), true,
                                             "connperf/" CONNPERF_VERSION));
  return out;
}

stats::ErrorKind object_mismatch(const proto::ResponseFramer& framer, std::uint64_t size) noexcept {
  if (framer.status_code() != 200) return stats::ErrorKind::Status;
  if (framer.body_bytes() < size) return stats::ErrorKind::BodyShort;
  if (framer.body_bytes() > size) return stats::ErrorKind::BodyLong;
  return stats::ErrorKind::Count;
}

ObjectLoad::ObjectLoad(const proto::ObjectSet& set, unsigned seed, stats::ClientStats& stats)
    : picker_(set, seed), sizes_(set.sizes), stats_(stats),
      count_(set.sizes.empty() ? 1 : set.sizes.size()), on_(!set.sizes.empty()) {
  stats_.set_object_sizes(sizes_);
}

}  // namespace connperf::load
