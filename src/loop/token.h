// What an epoll event carries back to its owner: the slot it is for, the slot's generation when
// it was registered (a stale event for a reused slot is told apart by it) and a small kind
// number the owner defines (connection, listener, upstream, ...). Packed into epoll's 64 bits:
// kind in the top 3, slot in the next 29, generation in the low 32.
#pragma once

#include <cstdint>

namespace connperf::loop {

struct Token {
  static constexpr unsigned kKindBits = 3;
  static constexpr std::uint8_t kMaxKind = 6;
  static constexpr std::uint32_t kMaxSlot = (std::uint32_t{1} << (32 - kKindBits)) - 1;

  std::uint32_t slot = 0;
  std::uint32_t gen = 0;
  std::uint8_t kind = 0;  // 0 .. kMaxKind; kind 7 is the event loop's own (timer, wake-up)

  constexpr std::uint64_t pack() const noexcept {
    return std::uint64_t{kind} << (64 - kKindBits) | std::uint64_t{slot & kMaxSlot} << 32 | gen;
  }
  static constexpr Token unpack(std::uint64_t v) noexcept {
    return {static_cast<std::uint32_t>(v >> 32) & kMaxSlot, static_cast<std::uint32_t>(v),
            static_cast<std::uint8_t>(v >> (64 - kKindBits))};
  }
  friend constexpr bool operator==(const Token&, const Token&) = default;
};

}  // namespace connperf::loop
