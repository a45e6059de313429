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

// One line of a message head or of chunked framing, of which only the first kKeep bytes are
// kept (enough for the names and values framing depends on); the full length still counts
// against the limits. Every byte is checked as it is taken (RFC 9112 2.2, RFC 9110 5.5): a
// control other than HTAB, or a CR not followed by LF, makes the line bad() at once.
class LineReader {
 public:
  static constexpr std::size_t kKeep = 240;
  void clear() noexcept {
    len_ = 0;
    total_ = 0;
    bad_ = cr_ = crlf_ = false;
  }
  // Takes bytes up to and including '\n'; returns how many were taken; *done when the line
  // ended. Stops early, not done, at a bad byte.
  std::size_t take(const char* data, std::size_t len, bool* done) noexcept;
  std::string_view line() const noexcept;  // the kept start, without the CR LF
  std::string_view tail() const noexcept;  // the last up to kTail bytes, without the CR LF
  std::size_t total() const noexcept { return total_; }
  bool truncated() const noexcept { return total_ > len_; }
  bool bad() const noexcept { return bad_; }
  bool crlf() const noexcept { return crlf_; }  // the line ended with CR LF, not a bare LF

 private:
  static constexpr std::size_t kTail = 16;
  char buf_[kKeep];
  char tail_[kTail + 2];
  std::uint16_t len_ = 0;
  bool bad_ = false;
  bool cr_ = false;  // the last byte taken was a CR
  bool crlf_ = false;
  std::size_t total_ = 0;
};

// The rules every head follows, requests and responses, whole-head and incremental parsers
// alike (RFC 9112, RFC 9110): a field line is a tchar name, a colon and a value (no obsolete
// folding); Content-Length, Transfer-Encoding and Host are counted so the message-level checks
// below can refuse what two parsers could read two ways. nullptr when fine, else why.
const char* check_field_line(std::string_view line) noexcept;

// What the header fields of one message say about its framing.
struct HeaderInfo {
  std::uint64_t content_length = 0;
  bool has_length = false;
  bool has_te = false;
  bool chunked = false;      // Transfer-Encoding ends in chunked
  bool te_other = false;     // a transfer coding other than chunked was named
  std::uint8_t chunked_count = 0;
  std::uint8_t hosts = 0;    // Host fields
  bool conn_close = false;
  bool conn_keep_alive = false;
  // A field named Content-Length or Transfer-Encoding but for '_' in place of '-'
  // (Content_Length): not framing here, but framing to a reader that folds '_' into '-'.
  bool underscore_framing = false;
  const char* error = nullptr;

  void clear() noexcept { *this = HeaderInfo{}; }
  // One header line; `truncated`: only its start is here (a framing field must be whole).
  void field(std::string_view line, bool truncated = false) noexcept;
};

// The answer to a request whose Transfer-Encoding names a coding we do not implement: 501
// rather than 400 (RFC 9112 6.1). Compared by address.
extern const char* const kUnsupportedCoding;
inline int refusal_status(const char* why) noexcept { return why == kUnsupportedCoding ? 501 : 400; }

// Message-level rules. A request: one Host (exactly one in HTTP/1.1); Transfer-Encoding only in
// HTTP/1.1, never with Content-Length, chunked once and last, no other coding (501). A response:
// no Transfer-Encoding with Content-Length or in HTTP/1.0, chunked at most once.
const char* check_request(const HeaderInfo& info, int minor) noexcept;
const char* check_response(const HeaderInfo& info, int minor) noexcept;

// A status line "HTTP/1.x SP 3DIGIT [SP reason]": minor version and code; false when malformed.
bool parse_status_line(std::string_view line, int& minor, int& status) noexcept;
// Whether bytes still arriving can begin a response: they begin as "HTTP/" does (a peer that
// does not speak HTTP is told at once, not after a timeout).
bool could_start_response(std::string_view partial) noexcept;
// A request target holds only visible ASCII (RFC 9112 3.2): no controls, spaces, DEL or
// bytes above 0x7F.
bool valid_target(std::string_view target) noexcept;
// Content-Length or Transfer-Encoding in any case, also with '_' for '-': the names a proxy
// never copies from what it received (it writes the framing itself).
bool is_framing_name(std::string_view name) noexcept;

// Body framing shared by requests and responses: fixed length, chunked, or until close.
class BodyFramer {
 public:
  enum class Kind : std::uint8_t { None, Length, Chunked, UntilClose };
  void start(Kind kind, std::uint64_t length) noexcept;
  // Consumes body bytes; Complete when the body (and chunked trailers) ended.
  FrameStatus feed(const char* data, std::size_t len, std::size_t& consumed) noexcept;
  bool until_close() const noexcept { return kind_ == Kind::UntilClose; }
  const char* error() const noexcept { return error_; }
  // The body's bytes (chunked: the chunks' data, not their framing), exact once feed() said
  // Complete: a fixed length, or the chunks' sizes as their lines came, or what came before
  // the close. Counted per chunk, not per byte: nothing is added on the data path.
  std::uint64_t data_bytes() const noexcept { return data_bytes_; }

 private:
  enum class State : std::uint8_t { Data, Size, DataEnd, Trailer, Done };
  FrameStatus chunk_line() noexcept;
  FrameStatus chunk_size(std::string_view line) noexcept;
  Kind kind_ = Kind::None;
  State state_ = State::Done;
  std::uint64_t remaining_ = 0;
  std::uint64_t data_bytes_ = 0;
  std::size_t trailer_bytes_ = 0;
  LineReader line_;
  const char* error_ = nullptr;
};

// A chunk-size line (size and extensions) is at most this long, so all of it is kept and checked.
inline constexpr std::size_t kMaxChunkLine = LineReader::kKeep;

// How a body is framed, from a head that passed check_request / check_response (RFC 9112 6.3).
// Responses follow the status and whether the request was HEAD.
void request_body(const HeaderInfo& info, BodyFramer::Kind& kind, std::uint64_t& length);
void response_body(const HeaderInfo& info, int status, bool head_request, BodyFramer::Kind& kind,
                   std::uint64_t& length);

// What requests and responses share: a head of lines (start line, header fields), then a body.
class MessageFramer {
 public:
  const char* error() const noexcept { return error_; }
  // The error calls for 501 Not Implemented rather than 400 (a request's transfer coding).
  bool not_implemented() const noexcept { return error_ == kUnsupportedCoding; }

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
  // Every byte of the start line as it is taken: what is kept of a long line is only its start.
  virtual void start_bytes(const char* /*data*/, std::size_t /*len*/) noexcept {}
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
  std::uint64_t body_bytes() const noexcept { return body_.data_bytes(); }  // of this response

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
  // With keep_target (server --body): the request target when it is at most kTargetKeep bytes
  // (the size it names); "" for a longer one. Without, nothing is copied.
  static constexpr std::size_t kTargetKeep = 22;
  void keep_target(bool on) noexcept { keep_target_ = on; }
  std::string_view target() const noexcept { return {target_, target_len_}; }

 private:
  FrameStatus start_line(std::string_view line) noexcept override;
  FrameStatus end_of_head() noexcept override;
  void start_bytes(const char* data, std::size_t len) noexcept override;
  void save_target(std::string_view target) noexcept;
  char method_[24] = {};
  std::uint8_t method_len_ = 0;
  std::uint8_t target_len_ = 0;
  bool keep_target_ = false;
  char target_[kTargetKeep] = {};
  // The request line so far: its SP (counted up to 3; a valid one has 2), and whether it held
  // an HTAB or a byte above 0x7F (the target is checked whole, however long).
  std::uint8_t spaces_ = 0;
  bool odd_byte_ = false;
};

}  // namespace connperf::proto
