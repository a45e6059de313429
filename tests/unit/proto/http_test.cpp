// HTTP/1.1 framing: every message is also fed split at every byte boundary and one byte at a
// time, and must frame the same way.
#include <functional>
#include <string>
#include <vector>

#include <cstring>

#include <gtest/gtest.h>

#include "../../http_cases.h"
#include "proto/http.h"

namespace connperf::proto {
namespace {

struct Outcome {
  FrameStatus status;
  std::size_t consumed;  // bytes of the input that belong to the message
  int code = 0;
  bool keep_alive = false;
  bool operator==(const Outcome&) const = default;
};

// Feeds `pieces` in order until the framer completes or fails; `eof` then calls on_eof().
template <typename Framer>
Outcome frame(Framer& f, const std::vector<std::string>& pieces, bool eof) {
  std::size_t total = 0;
  for (const auto& p : pieces) {
    std::size_t used = 0;
    const FrameStatus s = f.feed(p.data(), p.size(), used);
    EXPECT_LE(used, p.size());
    total += used;
    if (s == FrameStatus::Error) return {s, 0};  // where it stopped reading does not matter
    if (s != FrameStatus::NeedMore) return {s, total};
  }
  if (!eof) return {FrameStatus::NeedMore, total};
  if constexpr (std::is_same_v<Framer, ResponseFramer>) return {f.on_eof(), total};
  return {FrameStatus::Error, total};
}

Outcome response(const std::vector<std::string>& pieces, bool eof = false, bool head = false) {
  ResponseFramer f;
  f.reset(head);
  Outcome o = frame(f, pieces, eof);
  o.code = f.status_code();
  o.keep_alive = o.status == FrameStatus::Complete && f.keep_alive();
  return o;
}

Outcome request(const std::vector<std::string>& pieces) {
  RequestFramer f;
  f.reset();
  Outcome o = frame(f, pieces, false);
  o.keep_alive = o.status == FrameStatus::Complete && f.keep_alive();
  return o;
}

// The same outcome whole, split in two at every byte, and byte by byte.
void expect_split_invariant(const std::string& msg, const std::function<Outcome(
                                                        const std::vector<std::string>&)>& run) {
  const Outcome whole = run({msg});
  for (std::size_t cut = 1; cut < msg.size(); ++cut)
    ASSERT_EQ(run({msg.substr(0, cut), msg.substr(cut)}), whole) << "cut at " << cut;
  std::vector<std::string> bytes;
  for (char c : msg) bytes.emplace_back(1, c);
  ASSERT_EQ(run(bytes), whole) << "byte by byte";
}

void expect_response(const std::string& msg, FrameStatus status, std::size_t consumed, int code,
                     bool eof = false, bool head = false) {
  const auto run = [eof, head](const std::vector<std::string>& p) { return response(p, eof, head); };
  const Outcome o = run({msg});
  EXPECT_EQ(o.status, status) << msg;
  if (status == FrameStatus::Complete) {
    EXPECT_EQ(o.consumed, consumed) << msg;
    EXPECT_EQ(o.code, code) << msg;
  }
  expect_split_invariant(msg, run);
}

TEST(HttpRequestBytes, GetIsExact) {
  EXPECT_EQ(build_get_request("127.0.0.1:8888", "/", true, "connperf/0.1"),
            "GET / HTTP/1.1\r\nHost: 127.0.0.1:8888\r\nUser-Agent: connperf/0.1\r\n"
            "Accept: */*\r\n\r\n");
  EXPECT_EQ(build_get_request("h", "/x", false, "ua"),
            "GET /x HTTP/1.1\r\nHost: h\r\nUser-Agent: ua\r\nAccept: */*\r\n"
            "Connection: close\r\n\r\n");
}

TEST(HttpResponse, ContentLength) {
  const std::string m = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nOk\n";
  expect_response(m, FrameStatus::Complete, m.size(), 200);
  EXPECT_TRUE(response({m}).keep_alive);
  expect_response("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n", FrameStatus::Complete, 38, 200);
  expect_response("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", FrameStatus::NeedMore, 0, 0);
}

TEST(HttpResponse, PipelinedResponsesSplitByConsumed) {
  const std::string one = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nab";
  const std::string two = "HTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\nx";
  const std::string both = one + two;
  ResponseFramer f;
  f.reset();
  std::size_t used = 0;
  ASSERT_EQ(f.feed(both.data(), both.size(), used), FrameStatus::Complete);
  EXPECT_EQ(used, one.size());
  f.reset();
  std::size_t used2 = 0;
  ASSERT_EQ(f.feed(both.data() + used, both.size() - used, used2), FrameStatus::Complete);
  EXPECT_EQ(used2, two.size());
  EXPECT_EQ(f.status_code(), 404);
}

TEST(HttpResponse, Chunked) {
  const std::string m =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
      "4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Trailer: yes\r\n\r\n";
  expect_response(m, FrameStatus::Complete, m.size(), 200);
  expect_response(m + "HTTP/1.1", FrameStatus::Complete, m.size(), 200);
  expect_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                  FrameStatus::Error, 0, 0);
  expect_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "fffffffffffffffffff\r\n", FrameStatus::Error, 0, 0);
  expect_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n",
                  FrameStatus::Error, 0, 0);
}

TEST(HttpResponse, CloseDelimitedEndsAtEof) {
  const std::string m = "HTTP/1.1 200 OK\r\nServer: x\r\n\r\nbody until close";
  expect_response(m, FrameStatus::Complete, m.size(), 200, true);
  EXPECT_FALSE(response({m}, true).keep_alive);
  EXPECT_EQ(response({m}).status, FrameStatus::NeedMore);
  // EOF in the middle of a Content-Length body is an error.
  expect_response("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", FrameStatus::Error, 0, 0,
                  true);
  expect_response("HTTP/1.1 200 OK\r\nContent-Le", FrameStatus::Error, 0, 0, true);
}

TEST(HttpResponse, NoBodyCases) {
  const std::string interim = "HTTP/1.1 100 Continue\r\n\r\n";
  const std::string final = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  expect_response(interim + final, FrameStatus::Complete, interim.size() + final.size(), 200);
  const std::string nc = "HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n";
  expect_response(nc, FrameStatus::Complete, nc.size(), 204);
  const std::string nm = "HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n";
  expect_response(nm, FrameStatus::Complete, nm.size(), 304);
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n";
  expect_response(head, FrameStatus::Complete, head.size(), 200, false, true);
}

TEST(HttpResponse, KeepAliveRules) {
  EXPECT_FALSE(response({"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"})
                   .keep_alive);
  EXPECT_FALSE(response({"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"}).keep_alive);
  EXPECT_TRUE(response({"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n"})
                  .keep_alive);
  EXPECT_FALSE(response({"HTTP/1.1 200 OK\r\nConnection: foo, CLOSE\r\nContent-Length: 0\r\n\r\n"})
                   .keep_alive);
}

TEST(HttpResponse, Errors) {
  for (const char* bad : {"HTTX/1.1 200 OK\r\n\r\n", "HTTP/1.1 2x0 OK\r\n\r\n",
                          "HTTP/2.0 200 OK\r\n\r\n", "garbage\r\n\r\n", "200 Ok.\n",
                          "HTTP/1.1 200 OK\r\n folded\r\n\r\n",
                          "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n",
                          "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                          "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
                          "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n"})
    expect_response(bad, FrameStatus::Error, 0, 0);
  const std::string huge = "HTTP/1.1 200 OK\r\nX-Big: " + std::string(17000, 'a') + "\r\n\r\n";
  EXPECT_EQ(response({huge}).status, FrameStatus::Error);
  ResponseFramer f;
  f.reset();
  std::size_t used = 0;
  f.feed(huge.data(), huge.size(), used);
  EXPECT_STREQ(f.error(), "headers too large");
}

// A reply that cannot be HTTP fails as soon as it differs from "HTTP/", without its line end
// (server --mode crr answers "200 Ok." and nothing more: crr waited out --timeout for each).
TEST(HttpResponse, NotHttpFailsBeforeTheLineEnds) {
  for (const char* bad : {"200 Ok.", "G", "HTTX", "http/1.1 200"}) {
    ResponseFramer f;
    f.reset();
    std::size_t used = 0;
    EXPECT_EQ(f.feed(bad, std::strlen(bad), used), FrameStatus::Error) << bad;
  }
  for (const char* partial : {"H", "HTTP", "HTTP/1.1 2", "\r\n", "\r\nHTT"}) {
    ResponseFramer f;
    f.reset();
    std::size_t used = 0;
    EXPECT_EQ(f.feed(partial, std::strlen(partial), used), FrameStatus::NeedMore) << partial;
  }
}

// A chunk size must not wrap around 2^64 or be read from a cut-off line: either would make us
// end the message where the peer does not.
TEST(HttpResponse, ChunkSizesThatWrapOrRunPastTheKeptLineAreErrors) {
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_EQ(response({head + "10000000000000000\r\nx"}).status, FrameStatus::Error);
  EXPECT_EQ(response({head + "fffffffffffffffff\r\nx"}).status, FrameStatus::Error);
  EXPECT_EQ(response({head + std::string(250, '0') + "40\r\nx"}).status, FrameStatus::Error);
  // Leading zeros that fit, and a long chunk extension after the size, are fine.
  expect_response(head + std::string(200, '0') + "2\r\nhi\r\n0\r\n\r\n", FrameStatus::Complete,
                  head.size() + 200 + 12, 200);
  const std::string ext = "2;" + std::string(200, 'e') + "\r\nhi\r\n0\r\n\r\n";
  EXPECT_EQ(response({head + ext}).status, FrameStatus::Complete);
  // A chunk line is bounded (kMaxChunkLine): all of it is kept, so all of it is checked.
  const std::string long_ext = "2;" + std::string(300, 'e') + "\r\nhi\r\n0\r\n\r\n";
  EXPECT_EQ(response({head + long_ext}).status, FrameStatus::Error);
}

TEST(HttpResponse, LargeChunkedBodyInPieces) {
  std::string m = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 256; ++i) m += "1000\r\n" + std::string(4096, 'x') + "\r\n";
  m += "0\r\n\r\n";
  std::vector<std::string> pieces;
  for (std::size_t i = 0; i < m.size(); i += 1024) pieces.push_back(m.substr(i, 1024));
  const Outcome o = response(pieces);
  EXPECT_EQ(o.status, FrameStatus::Complete);
  EXPECT_EQ(o.consumed, m.size());
}

void expect_request(const std::string& msg, FrameStatus status, bool keep_alive = true) {
  const Outcome o = request({msg});
  EXPECT_EQ(o.status, status) << msg;
  if (status == FrameStatus::Complete) {
    EXPECT_EQ(o.consumed, msg.size()) << msg;
    EXPECT_EQ(o.keep_alive, keep_alive) << msg;
  }
  expect_split_invariant(msg, request);
}

TEST(HttpRequest, Framing) {
  expect_request("GET / HTTP/1.1\r\nHost: x\r\n\r\n", FrameStatus::Complete);
  expect_request("\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", FrameStatus::Complete);
  expect_request("GET / HTTP/1.1\nHost: x\n\n", FrameStatus::Complete);
  expect_request("POST /u HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
                 FrameStatus::Complete);
  expect_request(
      "POST /u HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
      FrameStatus::Complete);
  expect_request("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", FrameStatus::Complete,
                 false);
  expect_request("GET / HTTP/1.0\r\n\r\n", FrameStatus::Complete, false);
  expect_request("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", FrameStatus::Complete, true);
  expect_request("GET /" + std::string(3000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n",
                 FrameStatus::Complete);
  expect_request("GET / HTTP/1.1\r\nHost: x\r\n", FrameStatus::NeedMore);
}

TEST(HttpRequest, MethodAndHead) {
  RequestFramer f;
  f.reset();
  const std::string m = "HEAD /x HTTP/1.1\r\nHost: x\r\n\r\n";
  std::size_t used = 0;
  ASSERT_EQ(f.feed(m.data(), m.size(), used), FrameStatus::Complete);
  EXPECT_EQ(f.method(), "HEAD");
  EXPECT_TRUE(f.is_head());
}

TEST(HttpRequest, SmugglingAndGarbageRejected) {
  for (const std::string& bad : std::vector<std::string>{
        "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
        "GET / HTTP/1.1\r\n folded: x\r\n\r\n", "GET /\r\n\r\n", "GET  HTTP/1.1\r\n\r\n",
        "G(T / HTTP/1.1\r\n\r\n", "GET / HTTP/9.9\r\n\r\n", "Get.",
        "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\n\r\n"}) {
    const Outcome o = request({bad});
    EXPECT_EQ(o.status == FrameStatus::Error || (bad == "Get." && o.status == FrameStatus::NeedMore),
              true)
        << bad.substr(0, 80);
  }
  expect_request("POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
                 FrameStatus::Error);
  RequestFramer f;
  f.reset();
  const std::string big = "GET / HTTP/1.1\r\nX: " + std::string(20000, 'b') + "\r\n\r\n";
  std::size_t used = 0;
  EXPECT_EQ(f.feed(big.data(), big.size(), used), FrameStatus::Error);
}

// The target is visible ASCII to its last byte: a long line keeps only its first 240 bytes,
// so bytes past them are checked as they arrive, split anywhere.
TEST(HttpRequest, TargetIsVisibleAsciiToItsLastByte) {
  EXPECT_TRUE(valid_target("/a?b=%C3%A9&c=~!$'()*+,;=:@"));
  for (const char* bad : {"/caf\xc3\xa9", "/\x80", "/\xff", "/a\x7f", "/a\tb", "/a b"})
    EXPECT_FALSE(valid_target(bad)) << bad;
  const std::string pad(600, 'a');
  for (const std::string& odd : {"\xe9", "\x80", "\t", " x", "\xff\xfe"}) {
    SCOPED_TRACE(odd);
    const std::string msg = "GET /" + pad + odd + "z HTTP/1.1\r\nHost: x\r\n\r\n";
    EXPECT_EQ(request({msg}).status, FrameStatus::Error);
    expect_split_invariant(msg, request);
  }
  expect_request("GET /" + pad + "z HTTP/1.1\r\nHost: x\r\n\r\n", FrameStatus::Complete);
}

// Content_Length and Transfer_Encoding are no framing (their bytes are not a body here), but
// are noticed: a reader that folds '_' into '-' would frame the message by them.
TEST(HeaderInfo, FramingNamedWithUnderscoresIsNoticedNotUsed) {
  HeaderInfo info;
  info.field("Content_Length: 5");
  info.field("transfer_ENCODING: chunked");
  EXPECT_EQ(info.error, nullptr);
  EXPECT_TRUE(info.underscore_framing);
  EXPECT_FALSE(info.has_length || info.has_te);
  info.clear();
  info.field("X_Content_Length: 5");
  info.field("Content-Length: 5");
  EXPECT_FALSE(info.underscore_framing);
  for (const char* name :
       {"Content-Length", "content_length", "TRANSFER-ENCODING", "Transfer_Encoding"})
    EXPECT_TRUE(is_framing_name(name)) << name;
  for (const char* name : {"Content__Length", "Content-Lengths", "X_Length", "Transfer_Encodin"})
    EXPECT_FALSE(is_framing_name(name)) << name;
  std::size_t used = 0;
  RequestFramer f;
  f.reset();
  const std::string get = "GET / HTTP/1.1\r\nHost: x\r\nContent_Length: 4\r\n\r\nGET ";
  EXPECT_EQ(f.feed(get.data(), get.size(), used), FrameStatus::Complete);
  EXPECT_EQ(used, get.size() - 4);
}

TEST(HttpRequest, PipelinedRequests) {
  const std::string one = "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string two = "GET /2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  const std::string both = one + two;
  RequestFramer f;
  f.reset();
  std::size_t used = 0;
  ASSERT_EQ(f.feed(both.data(), both.size(), used), FrameStatus::Complete);
  EXPECT_EQ(used, one.size());
  EXPECT_TRUE(f.keep_alive());
  f.reset();
  std::size_t used2 = 0;
  ASSERT_EQ(f.feed(both.data() + used, both.size() - used, used2), FrameStatus::Complete);
  EXPECT_EQ(used2, two.size());
  EXPECT_FALSE(f.keep_alive());
}

// The strict rules, case by case (tests/http_cases.h): each request gets its verdict whole,
// split at every byte and byte by byte; a refused one says whether 501 is the answer.
TEST(HttpStrict, EveryRequestCaseGetsItsVerdict) {
  for (const test::RequestCase& c : test::request_cases()) {
    SCOPED_TRACE(c.name);
    const std::string msg = test::with_target(c.bytes, "/");
    RequestFramer f;
    f.reset();
    std::size_t used = 0;
    const FrameStatus s = f.feed(msg.data(), msg.size(), used);
    if (c.status == 200) {
      EXPECT_EQ(s, FrameStatus::Complete) << (f.error() ? f.error() : "");
      EXPECT_EQ(used, msg.size());
    } else {
      EXPECT_EQ(s, FrameStatus::Error);
      EXPECT_EQ(f.not_implemented(), c.status == 501) << (f.error() ? f.error() : "");
    }
    expect_split_invariant(msg, request);
  }
}

TEST(HttpStrict, EveryResponseCaseGetsItsVerdict) {
  for (const test::ResponseCase& c : test::response_cases()) {
    SCOPED_TRACE(c.name);
    const Outcome o = response({c.bytes});
    if (c.ok) {
      EXPECT_EQ(o.status, FrameStatus::Complete);
      EXPECT_EQ(o.consumed, c.bytes.size());
    } else {
      EXPECT_EQ(o.status, FrameStatus::Error);
    }
    expect_split_invariant(c.bytes, [](const std::vector<std::string>& p) { return response(p); });
  }
}

// A bad byte fails the message at once, even with no line end in sight: a head of bare CRs
// used to wait for an LF that never came.
TEST(HttpStrict, BadBytesFailBeforeTheLineEnds) {
  for (const char* partial : {"GET / HTTP/1.1\rHost", "GET / HTTP/1.1\r\nX: \x01",
                              "GET / HTTP/1.1\r\nHost: a\r\r"}) {
    RequestFramer f;
    f.reset();
    std::size_t used = 0;
    EXPECT_EQ(f.feed(partial, std::strlen(partial), used), FrameStatus::Error) << partial;
  }
  // A CR that ends what has arrived may still be followed by its LF.
  RequestFramer f;
  f.reset();
  std::size_t used = 0;
  EXPECT_EQ(f.feed("GET / HTTP/1.1\r", 15, used), FrameStatus::NeedMore);
  EXPECT_EQ(f.feed("\nHost: a\r\n\r\n", 12, used), FrameStatus::Complete);
}

}  // namespace
}  // namespace connperf::proto
