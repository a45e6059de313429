// A run's targets and the request each is sent (load/target.h, built by proto/request.h).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "load/target.h"
#include "net/address.h"
#include "proto/request.h"

namespace connperf::load {
namespace {

TEST(Requests, OnePerTargetWithItsOwnHost) {
  Targets t;
  t.targets = {{net::resolve_endpoint("127.0.0.1:1"), "127.0.0.1:1"},
               {net::resolve_endpoint("127.0.0.1:2"), "localhost:2"}};
  const auto http = t.requests();
  ASSERT_EQ(http.size(), 2u);
  EXPECT_NE(http[0].find("\r\nHost: 127.0.0.1:1\r\n"), std::string::npos) << http[0];
  EXPECT_NE(http[1].find("\r\nHost: localhost:2\r\n"), std::string::npos) << http[1];
  EXPECT_EQ(http[0].rfind("GET / HTTP/1.1\r\n", 0), 0u);
  t.request = RequestKind::Raw;
  EXPECT_EQ(t.requests(), (std::vector<std::string>{"Get.", "Get."}));
  t.request = RequestKind::Text;
  t.text = "PING\r\n";
  EXPECT_EQ(t.requests(), (std::vector<std::string>{"PING\r\n", "PING\r\n"}));
  EXPECT_STREQ(proto::to_string(RequestKind::Text), "text");
}

}  // namespace
}  // namespace connperf::load
