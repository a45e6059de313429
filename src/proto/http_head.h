// Whole HTTP/1.1 message heads for a proxy (RFC 9112): find where a head ends, parse it in place
// (views into the caller's buffer) and write the forwarded head with hop-by-hop fields removed.
// The incremental framers of http.h decide the body; this file adds what rewriting needs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proto/http.h"

namespace connperf::proto {

struct Field {
  std::string_view name;
  std::string_view value;  // without surrounding whitespace
};

// A parsed head. Views point into the buffer that was parsed; valid while it is unchanged.
struct Head {
  // Request: method, target; response: status, reason.
  std::string_view method;
  std::string_view target;
  int status = 0;
  std::string_view reason;
  int minor = 1;  // HTTP/1.minor
  std::vector<Field> fields;
  std::vector<std::string_view> connection;  // tokens of the Connection fields
  HeaderInfo info;

  void clear() noexcept;
  bool keep_alive() const noexcept;  // what the sender asked for
};

enum class HeadScan { NeedMore, Complete, LineTooLong, TooLarge, Malformed };

// Looks for the end of a head at the start of `data`: the offset just past the empty line.
// Empty lines before the start line (RFC 9112 2.2) are skipped; *skip says how many bytes.
// Malformed as soon as a byte breaks the rule of LineReader (a control, a bare CR).
HeadScan find_head_end(std::string_view data, std::size_t max_line, std::size_t max_head,
                       std::size_t& end, std::size_t& skip) noexcept;

// Parse a complete head (start line to the empty line). nullptr when it is well-formed, else why
// (the rules of check_field_line and check_request / check_response; refusal_status(why) says
// 400 or 501 for a request).
const char* parse_request_head(std::string_view head, Head& out);
const char* parse_response_head(std::string_view head, Head& out);

// An absolute-form target "http://host[:port]/path?q": scheme, authority (as written, for Host),
// host (brackets removed), port (default 80), and the origin-form path ("/" when empty).
struct AbsoluteUri {
  std::string_view scheme;
  std::string_view authority;
  std::string_view host;
  std::uint16_t port = 80;
  std::string_view path;
};
const char* parse_absolute_uri(std::string_view target, AbsoluteUri& out);
// An authority-form CONNECT target "host:port" (the port is required).
const char* parse_authority(std::string_view target, std::string_view& host, std::uint16_t& port);

// True for the fields a proxy must not forward: Connection and what it names (never
// Content-Length, Transfer-Encoding or Host), Proxy-Connection, Keep-Alive, TE, Trailer,
// Upgrade, Proxy-Authorization, Proxy-Authenticate.
bool is_hop_by_hop(const Head& head, std::string_view name) noexcept;

// Appends the fields of `head` a proxy forwards, each as "Name: value\r\n": no hop-by-hop
// fields, no Host when skip_host, nothing named like framing (is_framing_name: Content_Length is
// dropped); then the framing the proxy read, written one way only (RFC 9112 6.1, 6.2): one
// Transfer-Encoding listing its codings without empty elements and with `chunked` in lower case
// (a request's is exactly "chunked"), else Content-Length in plain decimal (010 becomes 10).
void append_end_to_end(const Head& head, bool skip_host, std::string& out);

}  // namespace connperf::proto
