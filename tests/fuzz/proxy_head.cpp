// libFuzzer target: the proxy's head path. find_head_end on the bytes, then the request head
// parser, the absolute-URI / CONNECT authority parsers and the rewrite for the origin; the same
// bytes also go through the response head parser and the rewrite for the client. Whatever the
// proxy writes must parse again as the same message: it never forwards what it would refuse.
#include <string>

#include "proto/http_head.h"
#include "proxy/rewrite.h"
#include "split.h"

namespace {

using connperf::fuzz::check;
namespace proto = connperf::proto;

constexpr std::size_t kMaxLine = 8 * 1024;
constexpr std::size_t kMaxHead = 16 * 1024;

// The rewritten head is one complete head and parses as `kind`.
template <typename Parse>
proto::Head reparse(const std::string& out, Parse parse) {
  std::size_t end = 0, skip = 0;
  check(out.ends_with("\r\n\r\n"), "rewritten head does not end with an empty line");
  check(proto::find_head_end(out, kMaxLine, 1 << 20, end, skip) == proto::HeadScan::Complete,
        "rewritten head is not complete");
  check(skip == 0 && end == out.size(), "rewritten head ends early");
  proto::Head again;
  check(parse(out, again) == nullptr, "rewritten head does not parse");
  return again;
}

void request(std::string_view head) {
  proto::Head req;
  if (proto::parse_request_head(head, req) != nullptr) return;
  check(!req.method.empty() && !req.target.empty(), "parsed request without method or target");
  if (req.method == "CONNECT") {
    std::string_view host;
    std::uint16_t port = 0;
    if (proto::parse_authority(req.target, host, port) == nullptr)
      check(!host.empty() && port != 0, "CONNECT authority without host or port");
    return;
  }
  proto::AbsoluteUri uri;
  if (proto::parse_absolute_uri(req.target, uri) != nullptr) return;
  check(!uri.host.empty() && uri.port != 0, "absolute URI without host or port");
  std::string out;
  connperf::proxy::upstream_request(req, uri, req.keep_alive(), out);
  const proto::Head again = reparse(out, proto::parse_request_head);
  check(again.method == req.method, "rewritten request changed the method");
  check(again.target.front() == '/', "rewritten request is not in origin form");
  check(again.info.has_length == req.info.has_length && again.info.chunked == req.info.chunked,
        "rewritten request changed the body framing");
}

void response(std::string_view head) {
  proto::Head resp;
  if (proto::parse_response_head(head, resp) != nullptr) return;
  check(resp.status >= 100 && resp.status <= 999, "status out of range");
  std::string out;
  connperf::proxy::client_response(resp, resp.minor, resp.keep_alive(), out);
  const proto::Head again = reparse(out, proto::parse_response_head);
  check(again.status == resp.status, "rewritten response changed the status");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  std::size_t end = 0, skip = 0;
  switch (proto::find_head_end(in, kMaxLine, kMaxHead, end, skip)) {
    case proto::HeadScan::Complete:
      check(skip <= end && end <= in.size(), "head end outside the input");
      request(in.substr(skip, end - skip));
      response(in.substr(skip, end - skip));
      break;
    case proto::HeadScan::NeedMore:
      // Not yet a head: the parsers still must not crash on a prefix.
      request(in);
      response(in);
      break;
    case proto::HeadScan::LineTooLong:
    case proto::HeadScan::TooLarge:
    case proto::HeadScan::Malformed: break;
  }
  return 0;
}
