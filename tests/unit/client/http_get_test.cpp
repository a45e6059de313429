// The --server-stats URL.
#include <gtest/gtest.h>

#include "client/http_get.h"

namespace connperf {
namespace {

TEST(HttpGet, ParsesUrls) {
  const client::HttpUrl u = client::parse_http_url("http://127.0.0.1:9100");
  EXPECT_EQ(u.addr.to_string(), "127.0.0.1:9100");
  EXPECT_EQ(u.path, "/");
  EXPECT_EQ(u.authority, "127.0.0.1:9100");
  EXPECT_EQ(client::parse_http_url("http://[::1]/stats").addr.to_string(), "[::1]:80");
  EXPECT_THROW(client::parse_http_url("https://127.0.0.1:1"), client::HttpGetError);
  EXPECT_THROW(client::parse_http_url("127.0.0.1:9100"), client::HttpGetError);
}

}  // namespace
}  // namespace connperf
