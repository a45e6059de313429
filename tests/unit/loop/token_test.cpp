// loop::Token: packing into epoll's 64 bits and back, and the kind the event loop keeps for
// itself.
#include "loop/token.h"

#include <cstdint>
#include <limits>
#include <set>

#include <gtest/gtest.h>

namespace connperf::loop {
namespace {

constexpr std::uint8_t kLoopKind = Token::kMaxKind + 1;  // the event loop's timer and wake-up

static_assert(Token::unpack(Token{5, 6, 3}.pack()) == Token{5, 6, 3});
static_assert(Token::kMaxSlot == (1u << 29) - 1);
static_assert(kLoopKind == 7 && kLoopKind < (1u << Token::kKindBits));

const std::uint32_t kSlots[] = {
    0, 1, 2, 3, 4095, 123'456'789, Token::kMaxSlot - 1, Token::kMaxSlot};
const std::uint32_t kGens[] = {
    0, 1, 2, 0x7fff'ffff, 0x8000'0000, 0xdead'beef, std::numeric_limits<std::uint32_t>::max()};

TEST(LoopToken, PackUnpackRoundTripsEveryKindSlotAndGeneration) {
  for (std::uint8_t kind = 0; kind <= Token::kMaxKind; ++kind)
    for (const std::uint32_t slot : kSlots)
      for (const std::uint32_t gen : kGens) {
        const Token t{slot, gen, kind};
        const Token back = Token::unpack(t.pack());
        EXPECT_EQ(back.slot, slot) << int{kind} << " " << slot << " " << gen;
        EXPECT_EQ(back.gen, gen) << int{kind} << " " << slot << " " << gen;
        EXPECT_EQ(back.kind, kind) << int{kind} << " " << slot << " " << gen;
      }
}

TEST(LoopToken, DistinctTokensPackDistinctly) {
  std::set<std::uint64_t> packed;
  std::size_t n = 0;
  for (std::uint8_t kind = 0; kind <= kLoopKind; ++kind)
    for (const std::uint32_t slot : kSlots)
      for (const std::uint32_t gen : kGens) {
        packed.insert(Token{slot, gen, kind}.pack());
        ++n;
      }
  EXPECT_EQ(packed.size(), n);
}

TEST(LoopToken, TheFieldsSitWhereTheHeaderSays) {
  EXPECT_EQ((Token{0, 0, 1}.pack()), std::uint64_t{1} << 61);
  EXPECT_EQ((Token{1, 0, 0}.pack()), std::uint64_t{1} << 32);
  EXPECT_EQ((Token{0, 1, 0}.pack()), 1u);
  EXPECT_EQ((Token{Token::kMaxSlot, 0xffff'ffff, Token::kMaxKind}.pack()), 0xdfff'ffff'ffff'ffffu);
}

// The loop registers its timer and eventfd with kind 7; an owner's token of kind 0..6, whatever
// its slot and generation, never packs to one of those, nor to anything of kind 7.
TEST(LoopToken, OwnerTokensNeverCollideWithTheLoopsKind) {
  const std::uint64_t timer = Token{0, 0, kLoopKind}.pack();
  const std::uint64_t wake = Token{1, 0, kLoopKind}.pack();
  for (std::uint8_t kind = 0; kind <= Token::kMaxKind; ++kind)
    for (const std::uint32_t slot : kSlots)
      for (const std::uint32_t gen : kGens) {
        const std::uint64_t v = Token{slot, gen, kind}.pack();
        EXPECT_NE(v, timer);
        EXPECT_NE(v, wake);
        EXPECT_NE(Token::unpack(v).kind, kLoopKind) << int{kind} << " " << slot << " " << gen;
      }
}

// A slot number past kMaxSlot is cut to its low bits; it must not spill into the kind.
TEST(LoopToken, ATooLargeSlotCannotChangeTheKind) {
  for (std::uint8_t kind = 0; kind <= Token::kMaxKind; ++kind) {
    const Token back = Token::unpack(Token{Token::kMaxSlot + 1, 9, kind}.pack());
    EXPECT_EQ(back.kind, kind);
    EXPECT_EQ(back.gen, 9u);
    EXPECT_EQ(Token::unpack(Token{0xffff'ffff, 0, kind}.pack()).kind, kind);
  }
}

}  // namespace
}  // namespace connperf::loop
