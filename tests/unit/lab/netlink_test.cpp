// The netfilter netlink framing: attributes built and read back, and a dump's datagram walked
// message by message until NLMSG_DONE, an error refusing it.
#include <linux/netlink.h>

#include <gtest/gtest.h>

#include "lab/lab.h"
#include "lab/netlink.h"

namespace connperf::lab {
namespace {

using Buf = std::vector<std::uint8_t>;

Buf done_message(std::uint32_t seq) {
  Buf out(sizeof(nlmsghdr) + 4, 0);
  const nlmsghdr h{static_cast<std::uint32_t>(out.size()), NLMSG_DONE, NLM_F_MULTI, seq, 0};
  std::memcpy(out.data(), &h, sizeof h);
  return out;
}

TEST(Netlink, AttributesRoundTripNestedAndPadded) {
  Buf inner, outer;
  put_be32(inner, 2, 0x01020304);
  put_attr(inner, 3, "abc");  // 4 bytes with its NUL, then the next attribute
  put_attr(outer, 1 | NLA_F_NESTED, inner);
  put_attr(outer, 5, "x");
  const auto all = attrs_of(outer);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].type, 1);  // the nested flag cleared
  EXPECT_EQ(be_number(find_attr(find_attr(outer, 1), 2)), 0x01020304u);
  EXPECT_EQ(attr_string(find_attr(find_attr(outer, 1), 3)), "abc");
  EXPECT_EQ(attr_string(find_attr(outer, 5)), "x");
  EXPECT_TRUE(find_attr(outer, 9).empty());
  EXPECT_EQ(be_number(find_attr(outer, 9)), 0u);
  EXPECT_EQ(outer.size() % 4, 0u);
}

TEST(Netlink, ADumpIsReadUntilDoneAndOnlyItsOwnMessages) {
  Buf attrs;
  put_attr(attrs, 1, "m");
  Buf datagram = nf_message({0x101, 2, 7, attrs}, NLM_F_MULTI, 5);
  const Buf stray = nf_message({0x101, 2, 0, attrs}, NLM_F_MULTI, 4);
  datagram.insert(datagram.end(), stray.begin(), stray.end());
  std::vector<NfMessage> seen;
  EXPECT_FALSE(read_messages(datagram, 5, [&](const NfMessage& m) { seen.push_back(m); }));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].type, 0x101);
  EXPECT_EQ(seen[0].family, 2);
  EXPECT_EQ(seen[0].res_id, 7);
  EXPECT_EQ(attr_string(find_attr(seen[0].attrs, 1)), "m");
  EXPECT_TRUE(read_messages(done_message(5), 5, [](const NfMessage&) {}));
}

TEST(Netlink, AnErrorRefusesTheDumpAndATruncatedMessageIsMalformed) {
  Buf error(sizeof(nlmsghdr) + sizeof(nlmsgerr), 0);
  const nlmsghdr h{static_cast<std::uint32_t>(error.size()), NLMSG_ERROR, 0, 3, 0};
  std::memcpy(error.data(), &h, sizeof h);
  const int eperm = -1;
  std::memcpy(error.data() + sizeof h, &eperm, sizeof eperm);
  EXPECT_THROW(read_messages(error, 3, [](const NfMessage&) {}), LabError);
  Buf cut = nf_message({0x101, 2, 0, {}}, 0, 3);
  cut.resize(cut.size() - 2);
  EXPECT_THROW(read_messages(cut, 3, [](const NfMessage&) {}), LabError);
}

}  // namespace
}  // namespace connperf::lab
