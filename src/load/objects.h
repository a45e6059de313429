// --object on the load engines (crr, rr): which size each request asks for, and whether its
// response is that object. One ObjectPicker per worker, used on its thread only.
#pragma once

#include <cstdint>
#include <vector>

#include "proto/http.h"
#include "proto/object.h"
#include "stats/client_stats.h"

namespace connperf::load {

// LIST: the sizes in turn; mix: a weighted choice, the same sequence for the same seed (the
// worker's index), so a run can be repeated exactly.
class ObjectPicker {
 public:
  ObjectPicker(const proto::ObjectSet& set, unsigned seed);
  std::uint8_t next() noexcept;  // an index into set.sizes

 private:
  std::vector<std::uint64_t> cumulative_;  // mix: running sums of the weights
  std::uint64_t state_;                    // mix: splitmix64
  std::uint8_t count_ = 1;
  std::uint8_t turn_ = 0;                  // LIST: the next index
};

// The request bytes of every target and size: index target * sizes + size (one per target
// without --object). `GET /1k`: the size's name is the path (proto/object.h).
std::vector<std::string> object_requests(const std::vector<std::string>& hosts,
                                         const proto::ObjectSet& set);

// A response to a request for `size` bytes that framed fine: 200 and exactly that body, or
// the cause it is counted under (Count when it is the object).
stats::ErrorKind object_mismatch(const proto::ResponseFramer& framer, std::uint64_t size) noexcept;

// What a load worker does for --object: picks each request's size, finds its bytes, and
// counts each HTTP response's body (goodput). Without --object every request is its target's.
class ObjectLoad {
 public:
  ObjectLoad(const proto::ObjectSet& set, unsigned seed, stats::ClientStats& stats);
  std::uint8_t pick() noexcept { return on_ ? picker_.next() : 0; }
  std::size_t request_index(std::uint16_t target, std::uint8_t object) const noexcept {
    return std::size_t{target} * count_ + object;
  }
  // A response that framed fine: its body counted; Count when it completes, else the error
  // it is counted under instead (the caller counts that).
  stats::ErrorKind done(const proto::ResponseFramer& framer, std::uint8_t object) noexcept {
    const std::uint64_t bytes = framer.body_bytes();
    if (!on_) return stats_.body(bytes), stats::ErrorKind::Count;
    const stats::ErrorKind why = object_mismatch(framer, sizes_[object]);
    if (why != stats::ErrorKind::Count) return why;
    stats_.body(bytes);
    stats_.object_done(object, bytes);
    return why;
  }

 private:
  ObjectPicker picker_;
  std::vector<std::uint64_t> sizes_;
  stats::ClientStats& stats_;
  std::size_t count_;
  bool on_;
};

}  // namespace connperf::load
