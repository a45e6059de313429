// Minimal HTTP/1.1 framing (RFC 9112): request bytes for the load generator, and incremental
// framers that tell where one response (client side) or request (server side) ends. Framers
// keep no copy of the message: a few hundred bytes of state, no allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace connperf::proto {

inline constexpr std::size_t kMaxHeaderBytes = 16 * 1024;
inline constexpr std::size_t kMaxRequestLine = 8 * 1024;

std::string build_get_request(std::string_view host, std::string_view path, bool keep_alive,
                              std::string_view user_agent);

enum class FrameStatus { NeedMore, Complete, Error };

// One line of a message head, of which only the first kKeep bytes are kept (enough for the
// names and values framing depends on); the full length still counts against the limits.
class LineReader {
 public:
  static constexpr std::size_t kKeep = 240;
  void clear() noexcept { len_ = 0; total_ = 0; }
  // Takes bytes up to and including '\n'; returns how many were taken; *done when the line ended.
  std::size_t take(const char* data, std::size_t len, bool* done) noexcept;
  std::string_view line() const noexcept;  // the kept start, without the CR LF
  std::string_view tail() const noexcept;  // the last up to kTail bytes, without the CR LF
  std::size_t total() const noexcept { return total_; }
  bool truncated() const noexcept { return total_ > len_; }

 private:
  static constexpr std::size_t kTail = 16;
  char buf_[kKeep];
  char tail_[kTail + 2];
  std::uint16_t len_ = 0;
  std::size_t total_ = 0;
};

// What the header fields of one message say about its framing.
struct HeaderInfo {
  std::uint64_t content_length = 0;
  bool has_length = false;
  bool has_te = false;
  bool chunked = false;      // Transfer-Encoding ends in chunked
  bool conn_close = false;
  bool conn_keep_alive = false;
  const char* error = nullptr;

  void clear() noexcept { *this = HeaderInfo{}; }
  void field(std::string_view line) noexcept;  // one header line
};

// Body framing shared by requests and responses: fixed length, chunked, or until close.
class BodyFramer {
 public:
  enum class Kind : std::uint8_t { None, Length, Chunked, UntilClose };
  void start(Kind kind, std::uint64_t length) noexcept;
  // Consumes body bytes; Complete when the body (and chunked trailers) ended.
  FrameStatus feed(const char* data, std::size_t len, std::size_t& consumed) noexcept;
  bool until_close() const noexcept { return kind_ == Kind::UntilClose; }
  const char* error() const noexcept { return error_; }

 private:
  enum class State : std::uint8_t { Data, Size, DataEnd, Trailer, Done };
  FrameStatus chunk_line() noexcept;
  Kind kind_ = Kind::None;
  State state_ = State::Done;
  std::uint64_t remaining_ = 0;
  LineReader line_;
  const char* error_ = nullptr;
};

// How a body is framed, from the head (RFC 9112 6.3). Requests: a Transfer-Encoding must end in
// chunked and may not come with Content-Length (the result says why not; nullptr when fine).
// Responses follow the status and whether the request was HEAD.
const char* request_body(const HeaderInfo& info, BodyFramer::Kind& kind, std::uint64_t& length);
void response_body(const HeaderInfo& info, int status, bool head_request, BodyFramer::Kind& kind,
                   std::uint64_t& length);

// What requests and responses share: a head of lines (start line, header fields), then a body.
class MessageFramer {
 public:
  const char* error() const noexcept { return error_; }

 protected:
  enum class State : std::uint8_t { StartLine, Headers, Body, Done, Error };
  MessageFramer() = default;
  ~MessageFramer() = default;
  void clear() noexcept;
  FrameStatus feed_message(const char* data, std::size_t len, std::size_t& consumed,
                           std::size_t max_start_line) noexcept;
  virtual FrameStatus start_line(std::string_view line) noexcept = 0;
  virtual FrameStatus end_of_head() noexcept = 0;
  // Whether a start line still arriving can begin a message of this kind (a peer that does not
  // speak HTTP is told at once, not after a timeout).
  virtual bool plausible_start(std::string_view /*partial*/) const noexcept { return true; }
  FrameStatus fail(const char* why) noexcept;

  State state_ = State::StartLine;
  int minor_ = 1;
  std::size_t head_bytes_ = 0;
  LineReader line_;
  HeaderInfo info_;
  BodyFramer body_;
  const char* error_ = nullptr;

 private:
  FrameStatus head_line() noexcept;
};

class ResponseFramer final : public MessageFramer {
 public:
  void reset(bool head_request = false) noexcept;
  FrameStatus feed(const char* data, std::size_t len, std::size_t& consumed) noexcept {
    return feed_message(data, len, consumed, kMaxHeaderBytes);
  }
  FrameStatus on_eof() noexcept;
  int status_code() const noexcept { return status_; }
  bool keep_alive() const noexcept;

 private:
  FrameStatus start_line(std::string_view line) noexcept override;
  FrameStatus end_of_head() noexcept override;
  bool plausible_start(std::string_view partial) const noexcept override;
  bool head_ = false;
  int status_ = 0;
};

class RequestFramer final : public MessageFramer {
 public:
  void reset() noexcept;
  FrameStatus feed(const char* data, std::size_t len, std::size_t& consumed) noexcept {
    return feed_message(data, len, consumed, kMaxRequestLine);
  }
  bool keep_alive() const noexcept;
  bool is_head() const noexcept { return method() == "HEAD"; }
  std::string_view method() const noexcept { return {method_, method_len_}; }

 private:
  FrameStatus start_line(std::string_view line) noexcept override;
  FrameStatus end_of_head() noexcept override;
  char method_[24] = {};
  std::uint8_t method_len_ = 0;
};

}  // namespace connperf::proto
