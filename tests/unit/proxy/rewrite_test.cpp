// What the proxy writes: the forwarded request and response heads and its own error replies.
#include <gtest/gtest.h>

#include <string>

#include "../../http_cases.h"
#include "proto/http_head.h"
#include "proxy/rewrite.h"

namespace connperf {
namespace {

TEST(Rewrite, UpstreamRequestIsOriginFormWithoutHopByHopFields) {
  proto::Head h;
  const std::string head =
      "GET http://origin.test:8080/p?q HTTP/1.1\r\nHost: wrong\r\nProxy-Connection: "
      "keep-alive\r\nConnection: X-Secret\r\nX-Secret: 1\r\nTE: trailers\r\nUpgrade: h2c\r\n"
      "Proxy-Authorization: Basic eA==\r\nAccept: */*\r\n\r\n";
  ASSERT_EQ(proto::parse_request_head(head, h), nullptr);
  proto::AbsoluteUri u;
  ASSERT_EQ(proto::parse_absolute_uri(h.target, u), nullptr);
  std::string out;
  proxy::upstream_request(h, u, true, out);
  EXPECT_EQ(out,
            "GET /p?q HTTP/1.1\r\nHost: origin.test:8080\r\nAccept: */*\r\nVia: 1.1 "
            "connperf\r\n\r\n");
  proxy::upstream_request(h, u, false, out);
  EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
}

TEST(Rewrite, Http10ClientsKeepAliveExplicitly) {
  proto::Head h;
  ASSERT_EQ(
      proto::parse_request_head("GET http://a/ HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", h),
      nullptr);
  EXPECT_TRUE(h.keep_alive());
  proto::AbsoluteUri u;
  ASSERT_EQ(proto::parse_absolute_uri(h.target, u), nullptr);
  std::string out;
  proxy::upstream_request(h, u, true, out);
  EXPECT_EQ(out,
            "GET / HTTP/1.0\r\nHost: a\r\nVia: 1.0 connperf\r\nConnection: keep-alive\r\n\r\n");
  proto::Head r;
  ASSERT_EQ(proto::parse_response_head(
                "HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5\r\nContent-Length: 2\r\n\r\n", r),
            nullptr);
  std::string resp;
  proxy::client_response(r, 0, true, resp);
  EXPECT_EQ(resp,
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nVia: 1.1 connperf\r\nConnection: "
            "keep-alive\r\n\r\n");
  resp.clear();
  proxy::client_response(r, 1, false, resp);
  EXPECT_NE(resp.find("Connection: close\r\n"), std::string::npos);
}

// Connection may name any field, but never the ones that frame or route the message: dropping
// Content-Length while relaying the body it frames would smuggle a request to the origin.
TEST(Rewrite, ConnectionCannotNameFramingOrHost) {
  proto::Head h;
  ASSERT_EQ(proto::parse_request_head(
                "POST http://a/ HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nConnection: content-length, "
                "Transfer-Encoding, host, x-gone\r\nX-Gone: 1\r\n\r\n",
                h),
            nullptr);
  EXPECT_FALSE(proto::is_hop_by_hop(h, "Content-Length"));
  EXPECT_FALSE(proto::is_hop_by_hop(h, "transfer-encoding"));
  EXPECT_FALSE(proto::is_hop_by_hop(h, "Host"));
  EXPECT_TRUE(proto::is_hop_by_hop(h, "X-Gone"));
  proto::AbsoluteUri u;
  ASSERT_EQ(proto::parse_absolute_uri(h.target, u), nullptr);
  std::string out;
  proxy::upstream_request(h, u, true, out);
  EXPECT_NE(out.find("\r\nContent-Length: 3\r\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("X-Gone"), std::string::npos) << out;
}

// The origin-form request the proxy writes for `head` (whose target is http://a/).
std::string upstream_of(const std::string& head, proto::Head& h) {
  EXPECT_EQ(proto::parse_request_head(head, h), nullptr) << head;
  proto::AbsoluteUri u;
  EXPECT_EQ(proto::parse_absolute_uri(h.target, u), nullptr);
  std::string out;
  proxy::upstream_request(h, u, true, out);
  return out;
}

// However a client spells chunked, the origin reads one spelling: a backend that skipped an
// unknown coding (",chunked") would read the body as the next request.
TEST(Rewrite, EveryChunkedSpellingGoesUpAsExactlyChunked) {
  for (const test::ChunkedSpelling& c : test::chunked_spellings()) {
    SCOPED_TRACE(c.name);
    proto::Head h;
    const std::string out =
        upstream_of(std::string("POST http://a/ HTTP/1.1\r\nHost: a\r\n") + c.fields + "\r\n", h);
    EXPECT_EQ(out,
              "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nVia: 1.1 "
              "connperf\r\n\r\n");
  }
}

// Content-Length goes on as the number the proxy framed by, in plain decimal: some backends
// read "010" as octal 8.
TEST(Rewrite, ContentLengthGoesOnInPlainDecimal) {
  proto::Head h;
  EXPECT_EQ(upstream_of("POST http://a/ HTTP/1.1\r\nHost: a\r\nContent-Length: 010\r\n\r\n", h),
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\nVia: 1.1 connperf\r\n\r\n");
  EXPECT_NE(upstream_of("PUT http://a/ HTTP/1.1\r\nHost: a\r\ncontent-length: 0000\r\n\r\n", h)
                .find("\r\nContent-Length: 0\r\n"),
            std::string::npos);
  proto::Head r;
  ASSERT_EQ(proto::parse_response_head("HTTP/1.1 200 OK\r\nContent-Length: 007\r\n\r\n", r),
            nullptr);
  std::string resp;
  proxy::client_response(r, 1, true, resp);
  EXPECT_EQ(resp, "HTTP/1.1 200 OK\r\nContent-Length: 7\r\nVia: 1.1 connperf\r\n\r\n");
}

// A response's codings go on in order, without empty elements, chunked in lower case.
TEST(Rewrite, ResponseCodingsGoOnInOneSpelling) {
  proto::Head r;
  ASSERT_EQ(proto::parse_response_head("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, ,\r\n"
                                       "Transfer-Encoding: Chunked\r\n\r\n",
                                       r),
            nullptr);
  std::string resp;
  proxy::client_response(r, 1, true, resp);
  EXPECT_EQ(resp,
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nVia: 1.1 connperf\r\n\r\n");
}

// Names with '_' for '-' are not framing to us but are to readers that fold '_' into '-' (CGI
// gateways, some frameworks): dropped both ways, as nginx drops names with underscores; other
// names with an underscore pass.
TEST(Rewrite, FramingNamedWithUnderscoresIsDropped) {
  proto::Head h;
  const std::string out = upstream_of(
      "POST http://a/ HTTP/1.1\r\nHost: a\r\nContent_Length: 5\r\ntransfer_encoding: "
      "chunked\r\nTRANSFER_ENCODING: x\r\nX_Kept: 1\r\n\r\n",
      h);
  EXPECT_TRUE(h.info.underscore_framing);
  EXPECT_FALSE(h.info.has_length || h.info.has_te);
  EXPECT_EQ(out, "POST / HTTP/1.1\r\nHost: a\r\nX_Kept: 1\r\nVia: 1.1 connperf\r\n\r\n");
  proto::Head r;
  ASSERT_EQ(proto::parse_response_head(
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent_Length: 9\r\n\r\n", r),
            nullptr);
  EXPECT_TRUE(r.info.underscore_framing);
  std::string resp;
  proxy::client_response(r, 1, true, resp);
  EXPECT_EQ(resp, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nVia: 1.1 connperf\r\n\r\n");
}

TEST(Rewrite, ErrorRepliesFrameTheirBody) {
  const std::string r = proxy::error_reply(502, "connection refused by 127.0.0.1:9");
  EXPECT_EQ(r.rfind("HTTP/1.1 502 Bad Gateway\r\n", 0), 0u);
  const std::string body = "502 Bad Gateway: connection refused by 127.0.0.1:9\n";
  EXPECT_NE(r.find("Content-Length: " + std::to_string(body.size()) + "\r\n"), std::string::npos);
  EXPECT_EQ(r.substr(r.size() - body.size()), body);
  EXPECT_NE(proxy::error_reply(405, "x").find("Allow: "), std::string::npos);
}

}  // namespace
}  // namespace connperf
