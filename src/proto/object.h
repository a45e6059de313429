// Object sizes (RFC 9411 transactions of set sizes): the SIZE|LIST|mix:WEIGHTS grammar of
// `server --body` and the clients' --object, and the one path convention both sides and a
// plain static server share: the size's name is the path (`GET /1k` asks for 1,024 bytes, so
// nginx with a 1,024-byte file named "1k" in its root serves the same load). Any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace connperf::proto {

inline constexpr std::uint64_t kMaxObjectSize = 16ull << 20;  // 16m
inline constexpr std::size_t kMaxObjects = 16;                // sizes in one list or mix

// A list of sizes, or with `mix` a weighted choice among them (weights[i] for sizes[i]).
struct ObjectSet {
  std::vector<std::uint64_t> sizes;
  std::vector<std::uint32_t> weights;  // mix only
  bool mix = false;
  bool empty() const noexcept { return sizes.empty(); }
};

// "1024", "1k", "64k", "1m" (k = 1,024, m = 1,048,576), 0 < size <= kMaxObjectSize.
std::optional<std::uint64_t> parse_object_size(std::string_view text) noexcept;
// SIZE or LIST ("1k,2k,4k"); with allow_mix also "mix:1k=50,64k=50". Distinct sizes, at most
// kMaxObjects. Returns the reason it is bad ("" when fine) and fills `out`.
std::string parse_object_set(std::string_view text, bool allow_mix, ObjectSet& out);
// The size's name, which is also its file name: "1k", "64k", "1m", "100" (the largest unit
// that divides it).
std::string object_name(std::uint64_t size);
// What a request target asks for: "/1k" a size, "/" (or any target that is no size, query
// and all) nothing in particular.
std::optional<std::uint64_t> size_of_target(std::string_view target) noexcept;

}  // namespace connperf::proto
