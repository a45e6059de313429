#include "proto/http.h"

#include "proto/text.h"

#include <algorithm>
#include <cstring>

namespace connperf::proto {

namespace {

constexpr std::uint64_t kMaxChunk = std::uint64_t{1} << 60;

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  c = ascii_lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::string build_get_request(std::string_view host, std::string_view path, bool keep_alive,
                              std::string_view user_agent) {
  std::string r;
  r.reserve(96 + host.size() + path.size() + user_agent.size());
  r.append("GET ").append(path).append(" HTTP/1.1\r\nHost: ").append(host);
  r.append("\r\nUser-Agent: ").append(user_agent).append("\r\nAccept: */*\r\n");
  if (!keep_alive) r.append("Connection: close\r\n");
  r.append("\r\n");
  return r;
}

std::size_t LineReader::take(const char* data, std::size_t len, bool* done) noexcept {
  const void* nl = std::memchr(data, '\n', len);
  const std::size_t n = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - data) + 1 : len;
  const std::size_t keep = std::min(n, kKeep - len_);
  std::memcpy(buf_ + len_, data, keep);
  len_ = static_cast<std::uint16_t>(len_ + keep);
  // The tail: the last bytes of the line so far, CR LF included.
  const std::size_t t = std::min(n, sizeof tail_);
  const std::size_t old = std::min(total_, sizeof tail_ - t);
  std::memmove(tail_, tail_ + (std::min(total_, sizeof tail_) - old), old);
  std::memcpy(tail_ + old, data + n - t, t);
  total_ += n;
  *done = nl != nullptr;
  return n;
}

namespace {
std::string_view strip_eol(std::string_view s) noexcept {
  if (!s.empty() && s.back() == '\n') s.remove_suffix(1);
  if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
  return s;
}
}  // namespace

std::string_view LineReader::line() const noexcept {
  return strip_eol({buf_, len_});
}

std::string_view LineReader::tail() const noexcept {
  return strip_eol({tail_, std::min(total_, sizeof tail_)});
}

void HeaderInfo::field(std::string_view line) noexcept {
  if (line.front() == ' ' || line.front() == '\t') {
    error = "obsolete line folding";
    return;
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    error = "bad header line";
    return;
  }
  const std::string_view name = line.substr(0, colon);
  const std::string_view value = trim(line.substr(colon + 1));
  if (iequals(name, "content-length")) {
    std::uint64_t n = 0;
    if (!parse_decimal(value, n)) error = "bad Content-Length";
    else if (has_length && n != content_length) error = "conflicting Content-Length";
    content_length = n;
    has_length = true;
  } else if (iequals(name, "transfer-encoding")) {
    has_te = true;
    for_each_token(value, [this](std::string_view t) {
      if (!t.empty()) chunked = iequals(t, "chunked");
    });
  } else if (iequals(name, "connection")) {
    for_each_token(value, [this](std::string_view t) {
      if (iequals(t, "close")) conn_close = true;
      if (iequals(t, "keep-alive")) conn_keep_alive = true;
    });
  }
}

void BodyFramer::start(Kind kind, std::uint64_t length) noexcept {
  kind_ = kind;
  error_ = nullptr;
  remaining_ = length;
  line_.clear();
  state_ = kind == Kind::Chunked ? State::Size
           : kind == Kind::None || (kind == Kind::Length && length == 0) ? State::Done
                                                                          : State::Data;
}

FrameStatus BodyFramer::feed(const char* data, std::size_t len, std::size_t& consumed) noexcept {
  std::size_t i = 0;
  while (state_ != State::Done) {
    if (i == len) {
      consumed = i;
      return FrameStatus::NeedMore;
    }
    if (state_ == State::Data) {
      if (kind_ == Kind::UntilClose) {
        i = len;
        continue;
      }
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, len - i));
      i += n;
      remaining_ -= n;
      if (remaining_ == 0) state_ = kind_ == Kind::Chunked ? State::DataEnd : State::Done;
      continue;
    }
    bool done = false;
    i += line_.take(data + i, len - i, &done);
    if (line_.total() > kMaxHeaderBytes) error_ = "chunk line too long";
    if (!done || error_) {
      if (error_) return FrameStatus::Error;
      continue;
    }
    if (chunk_line() == FrameStatus::Error) return FrameStatus::Error;
    line_.clear();
  }
  consumed = i;
  return FrameStatus::Complete;
}

FrameStatus BodyFramer::chunk_line() noexcept {
  const std::string_view line = line_.line();
  switch (state_) {
    case State::DataEnd:
      if (!line.empty()) return error_ = "missing CRLF after chunk", FrameStatus::Error;
      state_ = State::Size;
      break;
    case State::Size: {
      std::uint64_t size = 0;
      std::size_t k = 0;
      for (; k < line.size() && hex_value(line[k]) >= 0; ++k) {
        if (size > kMaxChunk >> 4) return error_ = "chunk size too large", FrameStatus::Error;
        size = size * 16 + static_cast<std::uint64_t>(hex_value(line[k]));
      }
      // Digits up to the end of what was kept: the size itself may go on past it.
      if (k == line.size() && line_.truncated())
        return error_ = "chunk size line too long", FrameStatus::Error;
      const std::string_view rest = trim(line.substr(k));
      if (k == 0 || (!rest.empty() && rest.front() != ';'))
        return error_ = "bad chunk size", FrameStatus::Error;
      remaining_ = size;
      state_ = size == 0 ? State::Trailer : State::Data;
      break;
    }
    case State::Trailer:
      if (line.empty()) state_ = State::Done;
      break;
    case State::Data:
    case State::Done: break;
  }
  return FrameStatus::NeedMore;
}

// Both message kinds.

void MessageFramer::clear() noexcept {
  state_ = State::StartLine;
  minor_ = 1;
  head_bytes_ = 0;
  line_.clear();
  info_.clear();
  error_ = nullptr;
}

FrameStatus MessageFramer::fail(const char* why) noexcept {
  state_ = State::Error;
  error_ = why;
  return FrameStatus::Error;
}

FrameStatus MessageFramer::feed_message(const char* data, std::size_t len, std::size_t& consumed,
                                        std::size_t max_start_line) noexcept {
  std::size_t i = 0;
  consumed = 0;
  while (state_ == State::StartLine || state_ == State::Headers) {
    if (i == len) return consumed = i, FrameStatus::NeedMore;
    bool done = false;
    const std::size_t n = line_.take(data + i, len - i, &done);
    i += n;
    head_bytes_ += n;
    if (state_ == State::StartLine && line_.total() > max_start_line)
      return consumed = i, fail("start line too long");
    if (head_bytes_ > kMaxHeaderBytes) return consumed = i, fail("headers too large");
    if (!done) {
      if (state_ == State::StartLine && !plausible_start(line_.line()))
        return consumed = i, fail("not an HTTP message");
      continue;
    }
    if (head_line() == FrameStatus::Error) return consumed = i, FrameStatus::Error;
    line_.clear();
  }
  if (state_ == State::Body) {
    std::size_t used = 0;
    const FrameStatus s = body_.feed(data + i, len - i, used);
    i += used;
    consumed = i;
    if (s == FrameStatus::Error) return fail(body_.error());
    if (s == FrameStatus::NeedMore) return s;
    state_ = State::Done;
  }
  consumed = i;
  return state_ == State::Done ? FrameStatus::Complete : FrameStatus::Error;
}

FrameStatus MessageFramer::head_line() noexcept {
  const std::string_view line = line_.line();
  if (state_ == State::Headers) {
    if (line.empty()) return end_of_head();
    info_.field(line);
    return info_.error ? fail(info_.error) : FrameStatus::NeedMore;
  }
  if (line.empty() && !line_.truncated()) {  // RFC 9112 2.2: empty lines before a message
    head_bytes_ = 0;
    return FrameStatus::NeedMore;
  }
  return start_line(line);
}

// Response side.

void ResponseFramer::reset(bool head_request) noexcept {
  clear();
  head_ = head_request;
  status_ = 0;
}

// "HTTP/1.1 200 OK"
FrameStatus ResponseFramer::start_line(std::string_view line) noexcept {
  if (line.size() < 12 || line[8] != ' ' || (line.size() > 12 && line[12] != ' '))
    return fail("bad status line");
  minor_ = http_minor(line.substr(0, 8));
  int code = 0;
  for (std::size_t k = 9; k < 12; ++k) {
    if (line[k] < '0' || line[k] > '9') return fail("bad status line");
    code = code * 10 + (line[k] - '0');
  }
  if (minor_ < 0 || code < 100) return fail("bad status line");
  status_ = code;
  state_ = State::Headers;
  return FrameStatus::NeedMore;
}

// A response begins "HTTP/": anything else fails as soon as it differs.
bool ResponseFramer::plausible_start(std::string_view partial) const noexcept {
  constexpr std::string_view kHttp = "HTTP/";
  const std::size_t n = std::min(partial.size(), kHttp.size());
  return partial.substr(0, n) == kHttp.substr(0, n);
}

FrameStatus ResponseFramer::end_of_head() noexcept {
  if (status_ >= 100 && status_ < 200 && status_ != 101) {  // interim: the real one follows
    const bool head = head_;
    reset(head);
    return FrameStatus::NeedMore;
  }
  BodyFramer::Kind kind{};
  std::uint64_t length = 0;
  response_body(info_, status_, head_, kind, length);
  body_.start(kind, length);
  state_ = State::Body;
  return FrameStatus::NeedMore;
}

FrameStatus ResponseFramer::on_eof() noexcept {
  if (state_ == State::Body && body_.until_close()) {
    state_ = State::Done;
    return FrameStatus::Complete;
  }
  return fail("connection closed before the end of the response");
}

bool ResponseFramer::keep_alive() const noexcept {
  if (info_.conn_close || (state_ == State::Done && body_.until_close())) return false;
  return minor_ >= 1 || info_.conn_keep_alive;
}

// Request side.

void RequestFramer::reset() noexcept {
  clear();
  method_len_ = 0;
}

// "METHOD SP target SP HTTP/1.x"; a long target is checked in the kept part, the version in
// the line's tail.
FrameStatus RequestFramer::start_line(std::string_view line) noexcept {
  const std::size_t sp = line.find(' ');
  if (sp == 0 || sp == std::string_view::npos || sp > sizeof method_)
    return fail("bad request line");
  for (std::size_t k = 0; k < sp; ++k)
    if (!is_tchar(line[k])) return fail("bad method");
  std::memcpy(method_, line.data(), sp);
  method_len_ = static_cast<std::uint8_t>(sp);
  const std::string_view tail = line_.truncated() ? line_.tail() : line;
  if (tail.size() < 9 || tail[tail.size() - 9] != ' ') return fail("bad request line");
  minor_ = http_minor(tail.substr(tail.size() - 8));
  if (minor_ < 0) return fail("bad HTTP version");
  const std::string_view target =
      line_.truncated() ? line.substr(sp + 1) : line.substr(sp + 1, line.size() - sp - 10);
  if (target.empty() && !line_.truncated()) return fail("empty request target");
  for (char c : target)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return fail("bad request target");
  state_ = State::Headers;
  return FrameStatus::NeedMore;
}

FrameStatus RequestFramer::end_of_head() noexcept {
  BodyFramer::Kind kind{};
  std::uint64_t length = 0;
  if (const char* why = request_body(info_, kind, length)) return fail(why);
  body_.start(kind, length);
  state_ = State::Body;
  return FrameStatus::NeedMore;
}

bool RequestFramer::keep_alive() const noexcept {
  if (info_.conn_close) return false;
  return minor_ >= 1 || info_.conn_keep_alive;
}

const char* request_body(const HeaderInfo& info, BodyFramer::Kind& kind, std::uint64_t& length) {
  length = 0;
  if (info.has_te && info.has_length) return "both Content-Length and Transfer-Encoding";
  if (info.has_te && !info.chunked) return "unsupported Transfer-Encoding";
  kind = info.has_te ? BodyFramer::Kind::Chunked : BodyFramer::Kind::Length;
  if (info.has_length) length = info.content_length;
  return nullptr;
}

void response_body(const HeaderInfo& info, int status, bool head_request, BodyFramer::Kind& kind,
                   std::uint64_t& length) {
  using Kind = BodyFramer::Kind;
  length = 0;
  if (head_request || status == 204 || status == 304 || status < 200) kind = Kind::None;
  else if (info.has_te) kind = info.chunked ? Kind::Chunked : Kind::UntilClose;
  else if (info.has_length) kind = Kind::Length, length = info.content_length;
  else kind = Kind::UntilClose;
}

}  // namespace connperf::proto
