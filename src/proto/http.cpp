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
  // Up to the line's LF, or the first bad byte: a control other than HTAB, a CR not before LF.
  std::size_t n = len;
  *done = false;
  for (std::size_t i = 0; i < len;) {
    if (cr_) {  // the byte after a CR must be the LF
      if (data[i] == '\n') crlf_ = *done = true, n = i + 1;
      else bad_ = true, n = i;
      break;
    }
    const std::size_t k = i + find_ctl(data + i, len - i);
    if (k == len) break;
    if (data[k] == '\n') {
      *done = true;
      n = k + 1;
      break;
    }
    if (data[k] != '\r') {
      bad_ = true;
      n = k;
      break;
    }
    cr_ = true;
    i = k + 1;
  }
  const std::size_t keep = std::min(n, kKeep - len_);
  std::memcpy(buf_ + len_, data, keep);
  len_ = static_cast<std::uint16_t>(len_ + keep);
  // The tail: the last bytes of the line so far, CR LF included. Only a line that outgrows
  // what is kept needs it, and its last bytes all lie past kKeep - sizeof tail_.
  if (total_ + n > kKeep - sizeof tail_) {
    const std::size_t t = std::min(n, sizeof tail_);
    const std::size_t old = std::min(total_, sizeof tail_ - t);
    std::memmove(tail_, tail_ + (std::min(total_, sizeof tail_) - old), old);
    std::memcpy(tail_ + old, data + n - t, t);
  }
  total_ += n;
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

const char* const kUnsupportedCoding = "a transfer coding other than chunked";

namespace {
// The name's end (the colon), or why the line is no field line.
const char* field_colon(std::string_view line, std::size_t& colon) noexcept {
  if (line.front() == ' ' || line.front() == '\t') return "obsolete line folding";
  std::size_t k = 0;
  while (k < line.size() && is_tchar(line[k])) ++k;
  if (k == line.size()) return "bad header line";
  if (line[k] != ':') return "bad character in a header name";
  if (k == 0) return "bad header line";
  colon = k;
  return nullptr;
}
}  // namespace

const char* check_field_line(std::string_view line) noexcept {
  std::size_t colon = 0;
  return field_colon(line, colon);
}

namespace {

// One coding of a Transfer-Encoding list: a token, maybe with parameters (RFC 9112 7).
bool is_coding(std::string_view t) noexcept {
  const std::string_view name = trim(t.substr(0, t.find(';')));
  if (name.empty()) return false;
  for (char c : name)
    if (!is_tchar(c)) return false;
  return true;
}

}  // namespace

void HeaderInfo::field(std::string_view line, bool truncated) noexcept {
  std::size_t colon = 0;
  if ((error = field_colon(line, colon))) return;
  const std::string_view name = line.substr(0, colon);
  const std::string_view value = trim(line.substr(colon + 1));
  if (iequals(name, "content-length")) {
    std::uint64_t n = 0;
    if (truncated || !parse_decimal(value, n)) error = "bad Content-Length";
    else if (has_length) error = "more than one Content-Length";
    content_length = n;
    has_length = true;
  } else if (iequals(name, "transfer-encoding")) {
    if (truncated) error = "Transfer-Encoding too long";
    has_te = true;
    for_each_token(value, [this](std::string_view t) {
      if (t.empty()) return;  // RFC 9110 5.6.1: empty list elements do not count
      chunked = iequals(t, "chunked");
      if (chunked && chunked_count < 255) ++chunked_count;
      else if (!chunked) te_other = true;
      if (!is_coding(t)) error = "bad Transfer-Encoding";
    });
  } else if (iequals(name, "host")) {
    if (hosts < 255) ++hosts;
  } else if (iequals(name, "connection")) {
    if (truncated) error = "Connection too long";
    for_each_token(value, [this](std::string_view t) {
      if (iequals(t, "close")) conn_close = true;
      if (iequals(t, "keep-alive")) conn_keep_alive = true;
    });
  } else if (is_framing_name(name)) {
    underscore_framing = true;  // the exact names were taken above
  }
}

namespace {
// `name` is `lower` but for ASCII case and '_' standing for '-'.
bool named_loosely(std::string_view name, std::string_view lower) noexcept {
  if (name.size() != lower.size()) return false;
  for (std::size_t k = 0; k < name.size(); ++k)
    if ((name[k] == '_' ? '-' : ascii_lower(name[k])) != lower[k]) return false;
  return true;
}
}  // namespace

bool is_framing_name(std::string_view name) noexcept {
  return named_loosely(name, "content-length") || named_loosely(name, "transfer-encoding");
}

namespace {
// What requests and responses share: Transfer-Encoding is HTTP/1.1's, names chunked at most
// once, and never comes with Content-Length (RFC 9112 6.1, 6.3).
const char* check_framing(const HeaderInfo& info, int minor) noexcept {
  if (!info.has_te) return nullptr;
  if (info.has_length) return "both Content-Length and Transfer-Encoding";
  if (minor == 0) return "Transfer-Encoding in HTTP/1.0";
  if (info.chunked_count > 1) return "chunked given more than once";
  if (!info.chunked && !info.te_other) return "empty Transfer-Encoding";
  return nullptr;
}
}  // namespace

const char* check_request(const HeaderInfo& info, int minor) noexcept {
  if (info.hosts > 1) return "more than one Host";
  if (info.hosts == 0 && minor >= 1) return "no Host in an HTTP/1.1 request";
  if (const char* why = check_framing(info, minor)) return why;
  if (info.has_te && info.te_other) return kUnsupportedCoding;
  return nullptr;
}

const char* check_response(const HeaderInfo& info, int minor) noexcept {
  return check_framing(info, minor);
}

// "HTTP/1.1 200 OK"
bool parse_status_line(std::string_view line, int& minor, int& status) noexcept {
  if (line.size() < 12 || line[8] != ' ' || (line.size() > 12 && line[12] != ' ')) return false;
  const int v = http_minor(line.substr(0, 8));
  int code = 0;
  for (std::size_t k = 9; k < 12; ++k) {
    if (line[k] < '0' || line[k] > '9') return false;
    code = code * 10 + (line[k] - '0');
  }
  if (v < 0 || code < 100) return false;
  minor = v;
  status = code;
  return true;
}

bool valid_target(std::string_view target) noexcept {
  for (char c : target)
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
      return false;
  return true;
}

void BodyFramer::start(Kind kind, std::uint64_t length) noexcept {
  kind_ = kind;
  error_ = nullptr;
  remaining_ = length;
  data_bytes_ = kind == Kind::Length ? length : 0;  // chunked: per chunk; until close: as read
  trailer_bytes_ = 0;
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
        data_bytes_ += len - i;
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
    if (line_.bad()) error_ = "control character or bare CR in chunked framing";
    else if (line_.total() > kMaxHeaderBytes) error_ = "chunk line too long";
    else if (done && !line_.crlf()) error_ = "bare LF in chunked framing";
    if (error_) return FrameStatus::Error;
    if (!done) continue;
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
    case State::Size: return chunk_size(line);
    case State::Trailer:
      if (line.empty()) {
        state_ = State::Done;
        break;
      }
      trailer_bytes_ += line_.total();
      if (trailer_bytes_ > kMaxHeaderBytes) return error_ = "trailers too large", FrameStatus::Error;
      if ((error_ = check_field_line(line))) return FrameStatus::Error;
      break;
    case State::Data:
    case State::Done: break;
  }
  return FrameStatus::NeedMore;
}

namespace {
// chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )  (RFC 9112 7.1.1)
bool valid_chunk_ext(std::string_view s) noexcept {
  std::size_t k = 0;
  const auto bws = [&] {
    while (k < s.size() && (s[k] == ' ' || s[k] == '\t')) ++k;
  };
  const auto token = [&] {
    const std::size_t from = k;
    while (k < s.size() && is_tchar(s[k])) ++k;
    return k > from;
  };
  while (k < s.size()) {
    bws();
    if (k == s.size() || s[k++] != ';') return false;
    bws();
    if (!token()) return false;
    bws();
    if (k == s.size() || s[k] != '=') continue;
    ++k;
    bws();
    if (k < s.size() && s[k] == '"') {
      for (++k; k < s.size() && s[k] != '"'; ++k)
        if (s[k] == '\\' && ++k == s.size()) return false;
      if (k++ == s.size()) return false;
    } else if (!token()) {
      return false;
    }
  }
  return true;
}
}  // namespace

// chunk-size = 1*HEXDIG, then extensions; no whitespace before the size, and after it only
// before a ';'. The whole line is kept (kMaxChunkLine), so all of it is checked.
FrameStatus BodyFramer::chunk_size(std::string_view line) noexcept {
  std::uint64_t size = 0;
  std::size_t k = 0;
  for (; k < line.size() && hex_value(line[k]) >= 0; ++k) {
    if (size > kMaxChunk >> 4) return error_ = "chunk size too large", FrameStatus::Error;
    size = size * 16 + static_cast<std::uint64_t>(hex_value(line[k]));
  }
  if (line_.truncated())
    return error_ = k == line.size() ? "chunk size line too long" : "chunk extension too long",
           FrameStatus::Error;
  if (k == 0 || !valid_chunk_ext(line.substr(k)))
    return error_ = "bad chunk size", FrameStatus::Error;
  remaining_ = size;
  data_bytes_ += size;
  state_ = size == 0 ? State::Trailer : State::Data;
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
    if (state_ == State::StartLine) start_bytes(data + i, n);
    i += n;
    head_bytes_ += n;
    if (line_.bad()) return consumed = i, fail("control character or bare CR in the head");
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
    info_.field(line, line_.truncated());
    return info_.error ? fail(info_.error) : FrameStatus::NeedMore;
  }
  // RFC 9112 2.2: empty lines before a message (they count against the head's limit).
  if (line.empty() && !line_.truncated()) return FrameStatus::NeedMore;
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
  if (!parse_status_line(line, minor_, status_)) return fail("bad status line");
  state_ = State::Headers;
  return FrameStatus::NeedMore;
}

bool could_start_response(std::string_view partial) noexcept {
  constexpr std::string_view kHttp = "HTTP/";
  const std::size_t n = std::min(partial.size(), kHttp.size());
  return partial.substr(0, n) == kHttp.substr(0, n);
}

// A response begins "HTTP/": anything else fails as soon as it differs.
bool ResponseFramer::plausible_start(std::string_view partial) const noexcept {
  return could_start_response(partial);
}

FrameStatus ResponseFramer::end_of_head() noexcept {
  if (const char* why = check_response(info_, minor_)) return fail(why);
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
  spaces_ = 0;
  odd_byte_ = false;
}

void RequestFramer::start_bytes(const char* data, std::size_t len) noexcept {
  for (std::size_t k = 0; k < len; ++k) {
    const auto u = static_cast<unsigned char>(data[k]);
    if (u == ' ')
      spaces_ = static_cast<std::uint8_t>(spaces_ + (spaces_ < 3));
    else if (u == '\t' || u > 0x7f)
      odd_byte_ = true;
  }
}

// "METHOD SP target SP HTTP/1.x"; a long target is checked in the kept part, the version in
// the line's tail, and every byte of it by start_bytes (no HTAB, SP or byte above 0x7F).
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
  if (!valid_target(target) || odd_byte_ || spaces_ != 2) return fail("bad request target");
  if (keep_target_) [[unlikely]] save_target(line_.truncated() ? std::string_view() : target);
  state_ = State::Headers;
  return FrameStatus::NeedMore;
}

void RequestFramer::save_target(std::string_view target) noexcept {
  target_len_ = 0;
  if (target.size() > kTargetKeep) return;
  std::memcpy(target_, target.data(), target.size());
  target_len_ = static_cast<std::uint8_t>(target.size());
}

FrameStatus RequestFramer::end_of_head() noexcept {
  BodyFramer::Kind kind{};
  std::uint64_t length = 0;
  if (const char* why = check_request(info_, minor_)) return fail(why);
  request_body(info_, kind, length);
  body_.start(kind, length);
  state_ = State::Body;
  return FrameStatus::NeedMore;
}

bool RequestFramer::keep_alive() const noexcept {
  if (info_.conn_close) return false;
  return minor_ >= 1 || info_.conn_keep_alive;
}

void request_body(const HeaderInfo& info, BodyFramer::Kind& kind, std::uint64_t& length) {
  kind = info.has_te ? BodyFramer::Kind::Chunked : BodyFramer::Kind::Length;
  length = info.has_length ? info.content_length : 0;
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
