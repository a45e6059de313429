// The text helpers of HTTP parsing.
#include <cstddef>
#include <string>

#include <gtest/gtest.h>

#include "proto/text.h"

namespace connperf::proto {
namespace {

// The eight-bytes-at-a-time scan agrees with a byte-by-byte one for every byte at every offset.
TEST(HttpStrict, ControlScanMatchesTheByteRule) {
  for (int b = 0; b < 256; ++b) {
    for (std::size_t at = 0; at < 20; ++at) {
      std::string s(20, 'a');
      s[at] = static_cast<char>(b);
      const bool ctl = (b < 0x20 && b != '\t') || b == 0x7f;
      EXPECT_EQ(find_ctl(s.data(), s.size()), ctl ? at : s.size()) << b << " at " << at;
      s[(at + 3) % 20] = '\t';  // with an HTAB before or after it
      EXPECT_EQ(find_ctl(s.data(), s.size()), ctl ? at : s.size()) << b << " at " << at;
      EXPECT_EQ(find_ctl(s.data(), at), at) << "the length bounds the scan";
    }
  }
}

}  // namespace
}  // namespace connperf::proto
