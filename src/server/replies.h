// What the server sends, shared by every model: the constant replies of the crr and http modes,
// the reply that ends a connection, and the echo family's transforms of a chunk.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "proto/http.h"
#include "server/server.h"

namespace connperf::server {

inline constexpr std::string_view kCrrReply = "200 Ok.";
// "Connection: keep-alive" also tells HTTP/1.0 clients (ab -k) that the connection stays open.
inline constexpr std::string_view kHttpReply =
    "HTTP/1.1 200 OK\r\nServer: connperf\r\nContent-Length: 3\r\n"
    "Connection: keep-alive\r\n\r\nOk\n";
// The answer to HEAD: the same head, no body.
inline constexpr std::string_view kHttpHeadReply = kHttpReply.substr(0, kHttpReply.size() - 3);

// The reply that ends a connection the server closes: after Connection: close, or a refused
// request (400, or 501 for a transfer coding other than chunked).
// Sent (--body): the closing reply went out as an object reply; nothing more, then the close.
enum class Last : std::uint8_t { None, Close, BadRequest, CloseHead, NotImplemented, Sent };
inline constexpr std::string_view kLastReply[] = {
    "",
    "HTTP/1.1 200 OK\r\nServer: connperf\r\nContent-Length: 3\r\nConnection: close\r\n\r\nOk\n",
    "HTTP/1.1 400 Bad Request\r\nServer: connperf\r\nContent-Length: 12\r\n"
    "Connection: close\r\n\r\nBad Request\n",
    "HTTP/1.1 200 OK\r\nServer: connperf\r\nContent-Length: 3\r\nConnection: close\r\n\r\n",
    "HTTP/1.1 501 Not Implemented\r\nServer: connperf\r\nContent-Length: 16\r\n"
    "Connection: close\r\n\r\nNot Implemented\n",
    "",
};
// A refused request: not counted as a request, and its connection ends as an error.
inline bool refused(Last last) noexcept {
  return last == Last::BadRequest || last == Last::NotImplemented;
}

// The output bound of a connection, whatever the read size: how many bytes the next read may
// take so that the replies they earn keep `pending` (queued output, < high_water) within
// high_water + one reply. A request that keeps the connection is at least kMinHttpRequest bytes
// ("A / HTTP/1.1\nHost:\n\n": HTTP/1.1 needs its one Host; an HTTP/1.0 one without keep-alive
// is the connection's last, and a malformed one ends it) and earns at most one reply of at most `reply_len` bytes; a request begun in an earlier read
// may end with this read's first byte. The echo family queues what it reads (stamp: plus one
// prefix per read); crr answers one reply per read; discard queues nothing. At least 1.
inline constexpr std::size_t kMinHttpRequest = 20;
std::size_t read_budget(Mode mode, std::size_t pending, std::size_t high_water,
                        std::size_t reply_len, std::size_t buf_size) noexcept;

// --body: the replies of sized objects, built once before the server starts and then only read
// (by every thread, and by forked children as the parent built them). A request names its size
// by path (proto/object.h): "/1k" the object of 1,024 bytes or 404 when not given; "/" or a
// target that is no size, the first size.
class ObjectReplies {
 public:
  static constexpr int kNotFound = -1;
  explicit ObjectReplies(const std::vector<std::uint64_t>& sizes);
  int find(std::string_view target) const noexcept;
  // The reply to `object` (keep-alive, or `close`): head and body in one piece, so one send
  // carries both (a head sent alone would wait for the peer's delayed ACK); HEAD: the head.
  std::string_view reply(int object, bool head_request, bool close) const noexcept;

 private:
  std::vector<std::uint64_t> sizes_;
  std::vector<std::string> replies_[2];     // [close][object]; the 404 reply's last
  std::vector<std::size_t> head_bytes_[2];  // of each reply, its head
};

// The HTTP reply loop of every model: feeds a connection's request bytes to a framer and answers
// request by request. One per connection (the framer's state spans reads); no allocation.
class HttpReplyLoop {
 public:
  enum class Step : std::uint8_t { NeedMore, Get, Head, Last };

  void reset() noexcept;  // for a new connection
  // --body: each request's object is looked up here (object(), in on_reply); a request that
  // ends the connection is answered by on_reply too, then Last::Sent.
  void set_objects(const ObjectReplies* objects) noexcept {
    objects_ = objects;
    framer_.keep_target(objects != nullptr);
  }
  int object() const noexcept { return object_; }

  // Takes bytes up to the end of the next request (`used` says how many) and says what it
  // calls for: a keep-alive reply to GET or HEAD, or the reply that ends the connection
  // (last(): after Connection: close, or a bad request); NeedMore when every byte was taken
  // and no request ended. After Last the loop takes nothing more.
  Step next(const char* data, std::size_t n, std::size_t& used) noexcept;
  Last last() const noexcept { return last_; }

  // Feeds a chunk: counts each request (a bad one is not a request), hands each keep-alive
  // reply in order to on_reply(bool head), and returns the reply that ends the connection
  // (Last::None: it stays open). Bytes after a last request are never looked at.
  template <class OnReply>
  Last feed(const char* data, std::size_t n, stats::Counter& requests, OnReply&& on_reply) {
    for (std::size_t off = 0; off < n && last_ == Last::None;) {
      std::size_t used = 0;
      const Step step = next(data + off, n - off, used);
      off += used;
      if (step == Step::NeedMore) break;
      if (!refused(last_)) requests.add();
      if (step != Step::Last) {
        on_reply(step == Step::Head);
      } else if (objects_ && !refused(last_)) {  // the object goes out with Connection: close
        on_reply(last_ == Last::CloseHead);
        last_ = Last::Sent;
      }
    }
    return last_;
  }

 private:
  proto::RequestFramer framer_;
  Last last_ = Last::None;
  const ObjectReplies* objects_ = nullptr;
  int object_ = 0;
};

// --body: the reply to the request `http` just framed, a view into ObjectReplies; 404s counted.
std::string_view object_reply(const ObjectReplies& objects, const HttpReplyLoop& http, bool head,
                              stats::ListenerStats& st) noexcept;

// How a connection whose send failed ended, in every model: the peer's reset (or broken pipe),
// else an error; after our own FIN (a drain) a refused send is the server's close.
inline stats::Counter& send_failure(stats::ListenerStats& st, bool write_shut, net::Err err) {
  if (write_shut) return st.closed_by_server;
  return err == net::Err::Reset || err == net::Err::BrokenPipe ? st.rst : st.errors;
}

// The echo family (echo, upper, stamp, discard): appends the reply to a chunk to `out`.
// upper transforms `data` in place. One per thread: the stamp is cached for a second.
class EchoFamily {
 public:
  void append(Mode mode, char* data, std::size_t n, std::string& out);

 private:
  const std::string& stamp();
  std::time_t stamp_time_ = 0;
  std::string stamp_;
};

}  // namespace connperf::server
