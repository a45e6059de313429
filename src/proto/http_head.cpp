#include "proto/http_head.h"

#include <charconv>
#include <cstring>

#include "proto/text.h"

namespace connperf::proto {

void Head::clear() noexcept {
  method = target = reason = {};
  status = 0;
  minor = 1;
  fields.clear();
  connection.clear();
  info.clear();
}

bool Head::keep_alive() const noexcept {
  if (info.conn_close) return false;
  return minor >= 1 || info.conn_keep_alive;
}

HeadScan find_head_end(std::string_view data, std::size_t max_line, std::size_t max_head,
                       std::size_t& end, std::size_t& skip) noexcept {
  // Empty lines before the start line: CR LF or LF, nothing else.
  skip = 0;
  while (skip < data.size()) {
    if (data[skip] == '\n') ++skip;
    else if (data[skip] == '\r' && skip + 1 < data.size() && data[skip + 1] == '\n') skip += 2;
    else break;
  }
  if (skip > 64) return HeadScan::TooLarge;  // a stream of empty lines is not a request
  const std::string_view head = data.substr(skip);
  // Lines end at LF; every other control but HTAB, and a CR not before LF, is malformed
  // (the same byte rule as LineReader's).
  std::size_t pos = 0;
  for (bool first = true;; first = false) {
    std::size_t nl = pos;
    for (;;) {
      nl += find_ctl(head.data() + nl, head.size() - nl);
      if (nl == head.size() || head[nl] == '\n') break;
      if (head[nl] != '\r') return HeadScan::Malformed;
      if (nl + 1 < head.size() && head[nl + 1] != '\n') return HeadScan::Malformed;
      ++nl;
    }
    if (first && nl > max_line) return HeadScan::LineTooLong;
    if (nl >= max_head) return HeadScan::TooLarge;
    if (nl == head.size()) return HeadScan::NeedMore;
    const std::size_t len = nl - pos;
    if (!first && (len == 0 || (len == 1 && head[pos] == '\r'))) {
      end = skip + nl + 1;
      return HeadScan::Complete;
    }
    pos = nl + 1;
  }
}

namespace {

std::string_view strip_cr(std::string_view line) noexcept {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// The field lines after the start line; `rest` starts after the start line's LF.
const char* parse_fields(std::string_view rest, Head& out) {
  while (!rest.empty()) {
    const std::size_t nl = rest.find('\n');
    const std::string_view line = strip_cr(rest.substr(0, nl));
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    if (line.empty()) break;
    if (find_ctl(line.data(), line.size()) != line.size())
      return "control character or bare CR in the head";
    out.info.field(line);
    if (out.info.error) return out.info.error;
    const std::size_t colon = line.find(':');
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    out.fields.push_back({name, value});
    if (iequals(name, "connection"))
      for_each_token(value, [&out](std::string_view t) {
        if (!t.empty()) out.connection.push_back(t);
      });
  }
  return nullptr;
}

std::string_view first_line(std::string_view head, std::string_view& rest) {
  const std::size_t nl = head.find('\n');
  rest = nl == std::string_view::npos ? std::string_view{} : head.substr(nl + 1);
  return strip_cr(head.substr(0, nl));
}

}  // namespace

// "METHOD SP target SP HTTP/1.x"
const char* parse_request_head(std::string_view head, Head& out) {
  out.clear();
  std::string_view rest;
  const std::string_view line = first_line(head, rest);
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = line.rfind(' ');
  if (sp1 == 0 || sp1 == std::string_view::npos || sp2 == sp1) return "bad request line";
  out.method = line.substr(0, sp1);
  for (char c : out.method)
    if (!is_tchar(c)) return "bad method";
  out.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (out.target.empty()) return "empty request target";
  if (!valid_target(out.target)) return "bad request target";
  out.minor = http_minor(line.substr(sp2 + 1));
  if (out.minor < 0) return "bad HTTP version";
  if (const char* why = parse_fields(rest, out)) return why;
  return check_request(out.info, out.minor);
}

// "HTTP/1.x SP 3DIGIT SP reason"
const char* parse_response_head(std::string_view head, Head& out) {
  out.clear();
  std::string_view rest;
  const std::string_view line = first_line(head, rest);
  if (!parse_status_line(line, out.minor, out.status)) return "bad status line";
  out.reason = line.size() > 13 ? line.substr(13) : std::string_view{};
  if (const char* why = parse_fields(rest, out)) return why;
  return check_response(out.info, out.minor);
}

namespace {

bool parse_port(std::string_view text, std::uint16_t& port) {
  std::uint64_t v = 0;
  if (!parse_decimal(text, v) || v == 0 || v > 65535) return false;
  port = static_cast<std::uint16_t>(v);
  return true;
}

// "host", "host:port", "[v6]", "[v6]:port"; port stays as given when absent.
const char* split_authority(std::string_view authority, std::string_view& host, std::uint16_t& port,
                            bool& has_port) {
  has_port = false;
  if (authority.empty()) return "empty host";
  if (authority.find('@') != std::string_view::npos) return "user information in the URI";
  std::string_view port_text;
  if (authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return "bad IPv6 host";
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') return "bad host";
    if (!after.empty()) port_text = after.substr(1), has_port = true;
  } else {
    const std::size_t colon = authority.rfind(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1), has_port = true;
  }
  if (host.empty()) return "empty host";
  for (char c : host)
    if (!(is_tchar(c) || c == ':') || c == '%') return "bad host";
  if (has_port && !parse_port(port_text, port)) return "bad port";
  return nullptr;
}

}  // namespace

const char* parse_absolute_uri(std::string_view target, AbsoluteUri& out) {
  const std::size_t colon = target.find("://");
  if (colon == std::string_view::npos || colon == 0) return "not an absolute URI";
  out.scheme = target.substr(0, colon);
  for (char c : out.scheme)
    if (!(is_tchar(c) && c != '%')) return "bad URI scheme";
  const std::string_view after = target.substr(colon + 3);
  const std::size_t slash = after.find_first_of("/?#");
  out.authority = after.substr(0, slash);
  out.path = slash == std::string_view::npos ? std::string_view{} : after.substr(slash);
  if (!out.path.empty() && out.path.front() == '#') out.path = {};
  if (const std::size_t hash = out.path.find('#'); hash != std::string_view::npos)
    out.path = out.path.substr(0, hash);  // a fragment is never sent
  out.port = 80;
  bool has_port = false;
  return split_authority(out.authority, out.host, out.port, has_port);
}

const char* parse_authority(std::string_view target, std::string_view& host, std::uint16_t& port) {
  bool has_port = false;
  if (const char* why = split_authority(target, host, port, has_port)) return why;
  return has_port ? nullptr : "CONNECT target without a port";
}

bool is_hop_by_hop(const Head& head, std::string_view name) noexcept {
  static constexpr std::string_view kAlways[] = {
      "connection", "proxy-connection", "keep-alive",          "te",
      "trailer",    "upgrade",          "proxy-authorization", "proxy-authenticate"};
  for (std::string_view h : kAlways)
    if (iequals(name, h)) return true;
  // Framing and routing stay whatever Connection names: dropping them would let the two sides
  // frame the same bytes differently.
  if (iequals(name, "content-length") || iequals(name, "transfer-encoding") ||
      iequals(name, "host"))
    return false;
  for (std::string_view t : head.connection)
    if (iequals(name, t)) return true;
  return false;
}

namespace {

// The codings of every Transfer-Encoding field, in order, as one field.
void append_codings(const Head& head, std::string& out) {
  out.append("Transfer-Encoding: ");
  bool first = true;
  for (const Field& f : head.fields) {
    if (!iequals(f.name, "transfer-encoding")) continue;
    for_each_token(f.value, [&](std::string_view t) {
      if (t.empty()) return;  // RFC 9110 5.6.1: a sender never writes empty elements
      out.append(first ? "" : ", ").append(iequals(t, "chunked") ? "chunked" : t);
      first = false;
    });
  }
  out.append("\r\n");
}

void append_framing(const Head& head, std::string& out) {
  if (head.info.has_te) return append_codings(head, out);
  if (!head.info.has_length) return;
  char digits[24];
  const std::to_chars_result r =
      std::to_chars(digits, digits + sizeof digits, head.info.content_length);
  out.append("Content-Length: ").append(digits, r.ptr).append("\r\n");
}

}  // namespace

void append_end_to_end(const Head& head, bool skip_host, std::string& out) {
  for (const Field& f : head.fields) {
    if (is_framing_name(f.name) || is_hop_by_hop(head, f.name) ||
        (skip_host && iequals(f.name, "host")))
      continue;
    out.append(f.name).append(": ").append(f.value).append("\r\n");
  }
  append_framing(head, out);
}

}  // namespace connperf::proto
