// libFuzzer target: the proxy's head path. find_head_end on the bytes, then the request head
// parser, the absolute-URI / CONNECT authority parsers and the rewrite for the origin; the same
// bytes also go through the response head parser and the rewrite for the client. Whatever the
// proxy writes must parse again as the same message: it never forwards what it would refuse,
// and its framing fields come in one spelling only (Transfer-Encoding without empty elements and
// with `chunked` in lower case, exactly "chunked" in a request; Content-Length in plain decimal;
// nothing named Content_Length or Transfer_Encoding).
#include <string>

#include "proto/http_head.h"
#include "proto/text.h"
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

// The framing fields of a head the proxy wrote are canonical and frame as `read` did.
void check_framing(const proto::Head& out, const proto::Head& read, bool request) {
  check(!out.info.underscore_framing, "a field named like framing was forwarded");
  check(out.info.has_length == read.info.has_length && out.info.has_te == read.info.has_te &&
            out.info.chunked == read.info.chunked &&
            out.info.content_length == read.info.content_length,
        "the rewrite changed the framing");
  int framing_fields = 0;
  for (const proto::Field& f : out.fields) {
    if (!proto::is_framing_name(f.name)) continue;
    ++framing_fields;
    if (f.name == "Content-Length") {
      check(f.value.size() == 1 || f.value.front() != '0', "Content-Length with a leading zero");
      continue;
    }
    check(f.name == "Transfer-Encoding", "a framing field in another spelling");
    check(!request || f.value == "chunked", "a request's Transfer-Encoding is not 'chunked'");
    proto::for_each_token(f.value, [](std::string_view t) {
      check(!t.empty(), "Transfer-Encoding with an empty element");
      check(!proto::iequals(t, "chunked") || t == "chunked", "chunked not in lower case");
    });
  }
  check(framing_fields <= 1, "more than one framing field forwarded");
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
  check_framing(again, req, true);
}

void response(std::string_view head) {
  proto::Head resp;
  if (proto::parse_response_head(head, resp) != nullptr) return;
  check(resp.status >= 100 && resp.status <= 999, "status out of range");
  std::string out;
  connperf::proxy::client_response(resp, resp.minor, resp.keep_alive(), out);
  const proto::Head again = reparse(out, proto::parse_response_head);
  check(again.status == resp.status, "rewritten response changed the status");
  check_framing(again, resp, false);
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
