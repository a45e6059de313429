// The HTTP reply loop every server model uses: which replies a stream of requests calls for, in
// order, and which one ends the connection; the same whole, split at every byte and byte by byte.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "server/replies.h"

namespace connperf::server {
namespace {

struct Answer {
  std::string replies;  // one letter per keep-alive reply: G (GET) or H (HEAD)
  Last last = Last::None;
  std::uint64_t requests = 0;
  bool operator==(const Answer&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Answer& a) {
  return os << "{" << a.replies << ", last " << static_cast<int>(a.last) << ", requests "
            << a.requests << "}";
}

Answer answer(const std::vector<std::string>& pieces) {
  HttpReplyLoop loop;
  loop.reset();
  stats::Counter requests;
  Answer a;
  for (const std::string& p : pieces)
    a.last = loop.feed(p.data(), p.size(), requests,
                       [&](bool head) { a.replies += head ? 'H' : 'G'; });
  a.requests = requests.get();
  return a;
}

// The answer to `stream` whole; it must be the same split in two anywhere and byte by byte.
Answer answer_split(const std::string& stream) {
  const Answer whole = answer({stream});
  for (std::size_t cut = 1; cut < stream.size(); ++cut)
    EXPECT_EQ(answer({stream.substr(0, cut), stream.substr(cut)}), whole) << "cut at " << cut;
  std::vector<std::string> bytes;
  for (char ch : stream) bytes.emplace_back(1, ch);
  EXPECT_EQ(answer(bytes), whole) << "byte by byte";
  return whole;
}

const std::string kGet = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
const std::string kHead = "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n";
const std::string kGetClose = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
const std::string kHeadClose = "HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

TEST(HttpReplyLoop, PipelinedRepliesComeInOrder) {
  EXPECT_EQ(answer_split(kGet + kHead + kGet + kHead), (Answer{"GHGH", Last::None, 4}));
}

TEST(HttpReplyLoop, TheLastRequestEndsTheConnectionAndNothingAfterItIsRead) {
  EXPECT_EQ(answer_split(kGet + kGetClose + kGet), (Answer{"G", Last::Close, 2}));
  EXPECT_EQ(answer_split(kHead + kHeadClose + "garbage"), (Answer{"H", Last::CloseHead, 2}));
  EXPECT_EQ(answer({kGetClose, kGet, kGet}), (Answer{"", Last::Close, 1}));
}

TEST(HttpReplyLoop, ABadRequestIsAnsweredButNotCounted) {
  EXPECT_EQ(answer_split(kGet + "NOT HTTP\r\n\r\n" + kGet), (Answer{"G", Last::BadRequest, 1}));
  EXPECT_EQ(answer({kHead, "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: x\r\n\r\n", kGet}),
            (Answer{"H", Last::BadRequest, 1}));
}

// A transfer coding the server does not implement gets 501, refused like a bad request.
TEST(HttpReplyLoop, AnUnknownTransferCodingIsNotImplemented) {
  EXPECT_EQ(answer_split(kGet + "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, "
                                "chunked\r\n\r\n0\r\n\r\n" + kGet),
            (Answer{"G", Last::NotImplemented, 1}));
  EXPECT_TRUE(refused(Last::NotImplemented));
  EXPECT_FALSE(refused(Last::Close));
  EXPECT_EQ(kLastReply[static_cast<int>(Last::NotImplemented)].rfind("HTTP/1.1 501 ", 0), 0u);
}

TEST(HttpReplyLoop, Http10ClosesUnlessKeepAliveIsAsked) {
  EXPECT_EQ(answer_split("GET / HTTP/1.0\r\n\r\n"), (Answer{"", Last::Close, 1}));
  EXPECT_EQ(answer_split("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" + kGet),
            (Answer{"GG", Last::None, 2}));
}

TEST(HttpReplyLoop, AnIncompleteRequestWaitsForMoreAndABodyIsSkipped) {
  EXPECT_EQ(answer({"GET / HTTP/1.1\r\nHost"}), (Answer{"", Last::None, 0}));
  EXPECT_EQ(answer_split("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nGET /" + kHead),
            (Answer{"GH", Last::None, 2}));
}

TEST(HttpReplyLoop, NextSaysWhatEachRequestCallsFor) {
  HttpReplyLoop loop;
  loop.reset();
  const std::string s = kGet + kHeadClose;
  std::size_t used = 0;
  EXPECT_EQ(loop.next(s.data(), s.size(), used), HttpReplyLoop::Step::Get);
  EXPECT_EQ(used, kGet.size());
  EXPECT_EQ(loop.next(s.data() + used, s.size() - used, used), HttpReplyLoop::Step::Last);
  EXPECT_EQ(loop.last(), Last::CloseHead);
  EXPECT_EQ(loop.next(kGet.data(), kGet.size(), used), HttpReplyLoop::Step::Last);
  EXPECT_EQ(used, 0u);
  loop.reset();  // a new connection
  EXPECT_EQ(loop.next(kGet.data(), 3, used), HttpReplyLoop::Step::NeedMore);
  EXPECT_EQ(used, 3u);
  EXPECT_EQ(loop.last(), Last::None);
}

}  // namespace
}  // namespace connperf::server

namespace connperf::server {
namespace {

// The epoll server's output bound holds per connection whatever the read size: a client that
// pipelines the smallest requests and never reads gets at most high water + one reply queued.
// (Reading the whole 16 KiB buffer at once queued up to ~96 KiB against a 64 KiB bound.)
TEST(ReadBudget, PipelinedTinyRequestsNeverQueuePastTheBoundPlusOneReply) {
  constexpr std::size_t kHigh = 64 * 1024, kBuf = 16 * 1024;
  const std::string tiny = "A / HTTP/1.1\nHost:\n\n";
  ASSERT_EQ(tiny.size(), kMinHttpRequest);
  std::string stream = tiny.substr(1);  // a request begun in an earlier read ends at once
  while (stream.size() < 4 * kHigh) stream += tiny;
  HttpReplyLoop loop;
  loop.reset();
  stats::Counter requests;
  std::size_t replies = 0;
  loop.feed(tiny.data(), 1, requests, [&](bool) { ++replies; });
  std::size_t pending = 0, pos = 0, reads = 0;
  while (pending < kHigh) {
    const std::size_t want = read_budget(Mode::Http, pending, kHigh, kHttpReply.size(), kBuf);
    ASSERT_GE(want, 1u);
    ASSERT_LE(want, kBuf);
    ASSERT_LE(pos + want, stream.size());
    replies = 0;
    loop.feed(stream.data() + pos, want, requests, [&](bool) { ++replies; });
    pos += want;
    pending += replies * kHttpReply.size();
    ++reads;
    ASSERT_LE(pending, kHigh + kHttpReply.size()) << "after read " << reads;
  }
  EXPECT_GT(requests.get(), kHigh / kHttpReply.size());  // the stream did fill the bound
}

TEST(ReadBudget, EchoQueuesWhatItReadsSoTheReadFitsTheRoom) {
  EXPECT_EQ(read_budget(Mode::Echo, 0, 65536, 0, 16384), 16384u);
  EXPECT_EQ(read_budget(Mode::Upper, 60000, 65536, 0, 16384), 5536u);
  EXPECT_EQ(read_budget(Mode::Stamp, 65535, 65536, 0, 16384), 1u);
  EXPECT_EQ(read_budget(Mode::Crr, 65535, 65536, 7, 16384), 16384u);  // one reply per read
  EXPECT_EQ(read_budget(Mode::Discard, 65535, 65536, 0, 16384), 16384u);
}

}  // namespace
}  // namespace connperf::server

namespace connperf::server {
namespace {

// --body: the size a path names, 404 for one not given, the first for a path that names none;
// the reply is head and body in one piece, HEAD its head, a closing request's says close.
TEST(ObjectReplies, AnswerBySizeNamedInThePath) {
  const ObjectReplies objects({1024, 65536});
  EXPECT_EQ(objects.find("/1k"), 0);
  EXPECT_EQ(objects.find("/64k"), 1);
  EXPECT_EQ(objects.find("/65536"), 1);
  EXPECT_EQ(objects.find("/2k"), ObjectReplies::kNotFound);
  EXPECT_EQ(objects.find("/"), 0);
  EXPECT_EQ(objects.find("/index.html"), 0);
  const std::string_view r = objects.reply(1, false, false);
  const std::string head = "HTTP/1.1 200 OK\r\nServer: connperf\r\nContent-Length: 65536\r\n"
                           "Connection: keep-alive\r\n\r\n";
  EXPECT_EQ(r.substr(0, head.size()), head);
  EXPECT_EQ(r.size(), head.size() + 65536);
  EXPECT_EQ(objects.reply(1, true, false), head);
  EXPECT_NE(objects.reply(0, false, true).find("Connection: close\r\n"), std::string_view::npos);
  EXPECT_EQ(objects.reply(ObjectReplies::kNotFound, false, false).rfind("HTTP/1.1 404", 0), 0u);
}

TEST(ObjectReplies, TheLoopAnswersEveryRequestIncludingTheClosingOne) {
  const ObjectReplies objects({10, 20});
  HttpReplyLoop loop;
  loop.reset();
  loop.set_objects(&objects);
  stats::ListenerStats st;
  std::string out;
  const std::string in = "GET /20 HTTP/1.1\r\nHost: x\r\n\r\nGET /30 HTTP/1.1\r\nHost: x\r\n\r\n"
                         "GET /10 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  const Last last = loop.feed(in.data(), in.size(), st.requests, [&](bool head) {
    out += object_reply(objects, loop, head, st);
  });
  EXPECT_EQ(last, Last::Sent);
  EXPECT_EQ(st.requests.get(), 3u);
  EXPECT_EQ(st.not_found.get(), 1u);
  const std::string expected = std::string(objects.reply(1, false, false)) +
                               std::string(objects.reply(ObjectReplies::kNotFound, false, false)) +
                               std::string(objects.reply(0, false, true));
  EXPECT_EQ(out, expected);
}

}  // namespace
}  // namespace connperf::server
