// The live stats endpoint's answer to a request head.
#include <optional>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "server/stats_endpoint.h"

namespace connperf {
namespace {

server::Pages pages() {
  return [](std::string_view path) -> std::optional<server::Page> {
    if (path == "/metrics") return server::Page{"text/plain", "m 1\n"};
    return std::nullopt;
  };
}

TEST(StatsEndpoint, AnswersGetHeadAndRefusesTheRest) {
  const std::string ok = server::stats_response("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n", pages());
  EXPECT_EQ(ok.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_NE(ok.find("Content-Length: 4\r\n"), std::string::npos);
  EXPECT_NE(ok.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(ok.substr(ok.size() - 4), "m 1\n");
  const std::string head = server::stats_response("HEAD /metrics HTTP/1.1\r\nHost: a\r\n\r\n", pages());
  EXPECT_EQ(head.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n");  // no body
  EXPECT_EQ(server::stats_response("GET /nope HTTP/1.1\r\nHost: a\r\n\r\n", pages()).rfind("HTTP/1.1 404", 0),
            0u);
  EXPECT_EQ(server::stats_response("POST /metrics HTTP/1.1\r\nHost: a\r\n\r\n", pages()).rfind("HTTP/1.1 405", 0),
            0u);
  EXPECT_EQ(server::stats_response("garbage\r\n\r\n", pages()).rfind("HTTP/1.1 400", 0), 0u);
  // The one HTTP/1.1 rule set: no Host is a bad request here too.
  EXPECT_EQ(server::stats_response("GET /metrics HTTP/1.1\r\n\r\n", pages()).rfind("HTTP/1.1 400", 0), 0u);
}

}  // namespace
}  // namespace connperf
