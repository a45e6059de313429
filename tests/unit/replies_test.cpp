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
