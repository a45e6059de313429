// What the proxy parses: whole heads, request and response heads, absolute URIs and CONNECT
// authorities.
#include <gtest/gtest.h>

#include <string>

#include "proto/http_head.h"
#include "proxy/rewrite.h"

namespace connperf {
namespace {

using proto::HeadScan;
using namespace std::string_literals;

HeadScan scan(std::string_view data, std::size_t& end, std::size_t& skip) {
  return proto::find_head_end(data, 8192, 16384, end, skip);
}

TEST(HeadScan, FindsTheEmptyLineWithCrlfOrBareLf) {
  std::size_t end = 0, skip = 0;
  const std::string crlf = "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\nBODY";
  EXPECT_EQ(scan(crlf, end, skip), HeadScan::Complete);
  EXPECT_EQ(crlf.substr(end), "BODY");
  EXPECT_EQ(skip, 0u);
  const std::string lf = "GET http://a/ HTTP/1.1\nHost: a\n\nX";
  EXPECT_EQ(scan(lf, end, skip), HeadScan::Complete);
  EXPECT_EQ(lf.substr(end), "X");
  EXPECT_EQ(scan("\r\n\r\nGET http://a/ HTTP/1.1\r\n\r\n", end, skip), HeadScan::Complete);
  EXPECT_EQ(skip, 4u);
  EXPECT_EQ(scan("GET http://a/ HTTP/1.1\r\nHost: a\r\n", end, skip), HeadScan::NeedMore);
  EXPECT_EQ(scan("", end, skip), HeadScan::NeedMore);
}

TEST(HeadScan, LimitsTheRequestLineAndTheHead) {
  std::size_t end = 0, skip = 0;
  EXPECT_EQ(scan("GET http://a/" + std::string(9000, 'x'), end, skip), HeadScan::LineTooLong);
  std::string big = "GET http://a/ HTTP/1.1\r\n";
  while (big.size() < 17000) big += "X-Filler: " + std::string(100, 'y') + "\r\n";
  EXPECT_EQ(scan(big, end, skip), HeadScan::TooLarge);
  EXPECT_EQ(scan(big + "\r\n", end, skip), HeadScan::TooLarge);
}

TEST(HeadScan, ControlsAndBareCrAreMalformedAtOnce) {
  std::size_t end = 0, skip = 0;
  EXPECT_EQ(scan("GET http://a/ HTTP/1.1\rHost: a\r\r", end, skip), HeadScan::Malformed);
  EXPECT_EQ(scan("GET http://a/ HTTP/1.1\r\nX: \x01", end, skip), HeadScan::Malformed);
  EXPECT_EQ(scan("GET http://a/ HTTP/1.1\r\nX\0"s, end, skip),
            HeadScan::Malformed);
  EXPECT_EQ(scan("\rGET http://a/ HTTP/1.1\r\n\r\n", end, skip), HeadScan::Malformed);
  // A CR at the very end may still be followed by its LF.
  EXPECT_EQ(scan("GET http://a/ HTTP/1.1\r", end, skip), HeadScan::NeedMore);
  EXPECT_EQ(scan("GET http://a/ HTTP/1.1\r\nHost:\ta\r\n\r\n", end, skip), HeadScan::Complete);
}

TEST(RequestHead, ParsesFieldsAndConnectionTokens) {
  proto::Head h;
  const std::string head =
      "POST http://example.test:8080/a?b=1 HTTP/1.1\r\nHost: other\r\nConnection: close, "
      "X-Hop\r\nX-Hop: 1\r\nContent-Length: 5\r\nX-End:  kept \r\n\r\n";
  ASSERT_EQ(proto::parse_request_head(head, h), nullptr);
  EXPECT_EQ(h.method, "POST");
  EXPECT_EQ(h.target, "http://example.test:8080/a?b=1");
  EXPECT_EQ(h.minor, 1);
  EXPECT_EQ(h.fields.size(), 5u);
  EXPECT_EQ(h.fields[4].value, "kept");
  EXPECT_TRUE(h.info.has_length);
  EXPECT_FALSE(h.keep_alive());
  EXPECT_TRUE(proto::is_hop_by_hop(h, "x-hop"));
  EXPECT_TRUE(proto::is_hop_by_hop(h, "Proxy-Connection"));
  EXPECT_FALSE(proto::is_hop_by_hop(h, "X-End"));
}

TEST(RequestHead, RejectsMalformedHeads) {
  proto::Head h;
  const auto bad = [&h](const std::string& head) {
    return proto::parse_request_head(head, h) != nullptr;
  };
  EXPECT_TRUE(bad("GET\r\n\r\n"));
  EXPECT_TRUE(bad("GET http://a/ HTTP/2.0\r\nHost: a\r\n\r\n"));
  EXPECT_TRUE(bad("G(T http://a/ HTTP/1.1\r\nHost: a\r\n\r\n"));
  EXPECT_TRUE(bad("GET http://a/ HTTP/1.1\r\nHost : a\r\n\r\n"));
  EXPECT_TRUE(bad("GET http://a/ HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n"));
  EXPECT_TRUE(bad("GET http://a/ HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n"));
  EXPECT_TRUE(bad("GET http://a/ HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"));
  EXPECT_TRUE(bad("GET http://a/ HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"));
  // The same value twice is refused too: one rule for the proxy, the server and the clients.
  EXPECT_TRUE(bad("GET http://a/ HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n"));
  // Host: exactly one in HTTP/1.1, at most one in HTTP/1.0.
  EXPECT_TRUE(bad("GET http://a/ HTTP/1.1\r\n\r\n"));
  EXPECT_TRUE(bad("GET http://a/ HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"));
  EXPECT_TRUE(bad("GET http://a/ HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n"));
  EXPECT_FALSE(bad("GET http://a/ HTTP/1.0\r\n\r\n"));
  // Names only of tchar; values without controls (HTAB is fine).
  EXPECT_TRUE(bad("GET http://a/ HTTP/1.1\r\nHost: a\r\nX-Invalid[]: b\r\n\r\n"));
  EXPECT_TRUE(bad("GET http://a/ HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n"s));
  EXPECT_TRUE(bad("GET http://a/ HTTP/1.1\r\nHost: a\r\nX: a\x07\r\n\r\n"));
  EXPECT_TRUE(bad("GET http://a/ HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n"));
  EXPECT_FALSE(bad("GET http://a/ HTTP/1.1\r\nHost: a\r\nX: a\tb\r\n\r\n"));
}

TEST(RequestHead, BodyFramingRefusesSmuggling) {
  proto::Head h;
  const auto why = [&h](const std::string& head) { return proto::parse_request_head(head, h); };
  const std::string post = "POST http://a/ HTTP/1.1\r\nHost: a\r\n";
  const char* both = why(post + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n");
  ASSERT_NE(both, nullptr);
  EXPECT_EQ(proto::refusal_status(both), 400);
  for (const char* te : {"gzip", "gzip, chunked", "chunked, gzip", "chunked;x=1"}) {
    const char* r = why(post + "Transfer-Encoding: " + te + "\r\n\r\n");
    ASSERT_NE(r, nullptr) << te;
    EXPECT_EQ(proto::refusal_status(r), 501) << te;
  }
  for (const char* te : {"chunked, chunked", "chunked\r\nTransfer-Encoding: chunked", ",",
                         "\"chunked\""}) {
    const char* r = why(post + "Transfer-Encoding: " + te + "\r\n\r\n");
    ASSERT_NE(r, nullptr) << te;
    EXPECT_EQ(proto::refusal_status(r), 400) << te;
  }
  EXPECT_NE(why("POST http://a/ HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), nullptr);
  ASSERT_EQ(why(post + "Transfer-Encoding: chunked\r\n\r\n"), nullptr);
  proto::BodyFramer::Kind kind{};
  std::uint64_t len = 0;
  proto::request_body(h.info, kind, len);
  EXPECT_EQ(kind, proto::BodyFramer::Kind::Chunked);
}

TEST(ResponseHead, ParsesStatusAndReason) {
  proto::Head h;
  ASSERT_EQ(proto::parse_response_head("HTTP/1.0 404 Not Found\r\nX: y\r\n\r\n", h), nullptr);
  EXPECT_EQ(h.status, 404);
  EXPECT_EQ(h.reason, "Not Found");
  EXPECT_EQ(h.minor, 0);
  EXPECT_FALSE(h.keep_alive());
  ASSERT_EQ(proto::parse_response_head("HTTP/1.1 204\r\n\r\n", h), nullptr);
  EXPECT_EQ(h.status, 204);
  EXPECT_EQ(h.reason, "");
  EXPECT_NE(proto::parse_response_head("HTTP/1.1 2x0 OK\r\n\r\n", h), nullptr);
  EXPECT_NE(proto::parse_response_head("ICY 200 OK\r\n\r\n", h), nullptr);
}

// A response framed two ways (RFC 9112 6.3: "ought to be handled as an error") is refused: the
// proxy answers 502 rather than pick one framing; one framing, chunked once, passes.
TEST(ResponseHead, FramedTwoWaysIsMalformed) {
  proto::Head r;
  EXPECT_NE(proto::parse_response_head("HTTP/1.1 200 OK\r\nContent-Length: 9\r\nTransfer-Encoding: "
                                       "chunked\r\n\r\n",
                                       r),
            nullptr);
  EXPECT_NE(proto::parse_response_head(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", r),
            nullptr);
  EXPECT_NE(proto::parse_response_head("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", r),
            nullptr);
  EXPECT_NE(proto::parse_response_head("HTTP/1.1 200 OK\r\nX: \x7f\r\n\r\n", r), nullptr);
  ASSERT_EQ(proto::parse_response_head(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", r),
            nullptr);
  std::string resp;
  proxy::client_response(r, 1, true, resp);
  EXPECT_EQ(resp,
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nVia: 1.1 connperf\r\n\r\n");
}

TEST(AbsoluteUri, SplitsSchemeAuthorityHostPortPath) {
  proto::AbsoluteUri u;
  ASSERT_EQ(proto::parse_absolute_uri("http://example.test:8080/a/b?c=d#frag", u), nullptr);
  EXPECT_EQ(u.scheme, "http");
  EXPECT_EQ(u.authority, "example.test:8080");
  EXPECT_EQ(u.host, "example.test");
  EXPECT_EQ(u.port, 8080);
  EXPECT_EQ(u.path, "/a/b?c=d");
  ASSERT_EQ(proto::parse_absolute_uri("http://127.0.0.1", u), nullptr);
  EXPECT_EQ(u.port, 80);
  EXPECT_EQ(u.path, "");
  ASSERT_EQ(proto::parse_absolute_uri("HTTP://[::1]:81?q", u), nullptr);
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 81);
  EXPECT_EQ(u.path, "?q");
  EXPECT_NE(proto::parse_absolute_uri("http://user:pw@host/", u), nullptr);
  EXPECT_NE(proto::parse_absolute_uri("http://host:99999/", u), nullptr);
  EXPECT_NE(proto::parse_absolute_uri("http:///path", u), nullptr);
  EXPECT_NE(proto::parse_absolute_uri("/path", u), nullptr);
}

TEST(Authority, ConnectTargetNeedsAPort) {
  std::string_view host;
  std::uint16_t port = 0;
  ASSERT_EQ(proto::parse_authority("example.test:443", host, port), nullptr);
  EXPECT_EQ(host, "example.test");
  EXPECT_EQ(port, 443);
  ASSERT_EQ(proto::parse_authority("[::1]:8443", host, port), nullptr);
  EXPECT_EQ(host, "::1");
  EXPECT_NE(proto::parse_authority("example.test", host, port), nullptr);
  EXPECT_NE(proto::parse_authority("example.test:0", host, port), nullptr);
}

}  // namespace
}  // namespace connperf
