#include "proto/object.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

namespace connperf::proto {

namespace {

std::vector<std::string_view> split_commas(std::string_view text) {
  std::vector<std::string_view> parts;
  for (std::size_t from = 0;;) {
    const std::size_t comma = text.find(',', from);
    parts.push_back(text.substr(from, comma == std::string_view::npos ? comma : comma - from));
    if (comma == std::string_view::npos) return parts;
    from = comma + 1;
  }
}

std::string add_size(std::string_view text, ObjectSet& out) {
  const auto size = parse_object_size(text);
  if (!size)
    return fmt::format("'{}' is not a size (1 to 16m bytes, e.g. 1024, 1k, 64k, 1m)", text);
  if (std::find(out.sizes.begin(), out.sizes.end(), *size) != out.sizes.end())
    return fmt::format("size {} is named twice", text);
  if (out.sizes.size() == kMaxObjects)
    return fmt::format("at most {} sizes", kMaxObjects);
  out.sizes.push_back(*size);
  return {};
}

// "1k=50": a size and its weight (1 to 1,000,000).
std::string add_weighted(std::string_view part, ObjectSet& out) {
  const std::size_t eq = part.find('=');
  if (eq == std::string_view::npos) return fmt::format("'{}' needs a weight: SIZE=WEIGHT", part);
  const std::string_view w = part.substr(eq + 1);
  std::uint32_t weight = 0;
  const auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), weight);
  if (ec != std::errc() || end != w.data() + w.size() || weight == 0 || weight > 1'000'000)
    return fmt::format("'{}' is not a weight (1 to 1000000)", w);
  if (std::string why = add_size(part.substr(0, eq), out); !why.empty()) return why;
  out.weights.push_back(weight);
  return {};
}

}  // namespace

std::optional<std::uint64_t> parse_object_size(std::string_view text) noexcept {
  std::uint64_t unit = 1;
  if (!text.empty() && (text.back() == 'k' || text.back() == 'K')) unit = 1024;
  if (!text.empty() && (text.back() == 'm' || text.back() == 'M')) unit = 1024 * 1024;
  if (unit != 1) text.remove_suffix(1);
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (n == 0 || n > kMaxObjectSize / unit) return std::nullopt;
  return n * unit;
}

std::string parse_object_set(std::string_view text, bool allow_mix, ObjectSet& out) {
  out = ObjectSet{};
  constexpr std::string_view kMix = "mix:";
  out.mix = text.substr(0, kMix.size()) == kMix;
  if (out.mix && !allow_mix) return "a mix is for the client's --object; give SIZE or LIST";
  if (out.mix) text.remove_prefix(kMix.size());
  for (const std::string_view part : split_commas(text)) {
    std::string why = out.mix ? add_weighted(part, out) : add_size(part, out);
    if (!why.empty()) return why;
  }
  return {};
}

std::string object_name(std::uint64_t size) {
  if (size % (1024 * 1024) == 0) return fmt::format("{}m", size / (1024 * 1024));
  if (size % 1024 == 0) return fmt::format("{}k", size / 1024);
  return fmt::format("{}", size);
}

std::optional<std::uint64_t> size_of_target(std::string_view target) noexcept {
  if (target.size() < 2 || target.front() != '/') return std::nullopt;
  return parse_object_size(target.substr(1));
}

}  // namespace connperf::proto
