#include "proxy/rewrite.h"

#include <fmt/format.h>

namespace connperf::proxy {

namespace {
void append_via(int minor, std::string& out) {
  out.append("Via: 1.").append(1, static_cast<char>('0' + minor)).append(" connperf\r\n");
}
}  // namespace

void upstream_request(const proto::Head& req, const proto::AbsoluteUri& uri, bool keep_alive,
                      std::string& out) {
  out.clear();
  out.append(req.method).append(" ");
  if (uri.path.empty() || uri.path.front() != '/') out.append("/");  // "http://a?q" → "/?q"
  out.append(uri.path);
  out.append(req.minor == 0 ? " HTTP/1.0\r\nHost: " : " HTTP/1.1\r\nHost: ");
  out.append(uri.authority).append("\r\n");
  proto::append_end_to_end(req, true, out);  // framing as read: chunked or a decimal length
  append_via(req.minor, out);
  if (!keep_alive)
    out.append("Connection: close\r\n");
  else if (req.minor == 0)
    out.append("Connection: keep-alive\r\n");
  out.append("\r\n");
}

void client_response(const proto::Head& resp, int client_minor, bool keep_alive, std::string& out) {
  out.append(fmt::format("HTTP/1.1 {:03} ", resp.status)).append(resp.reason).append("\r\n");
  proto::append_end_to_end(resp, false, out);
  append_via(resp.minor, out);
  if (!keep_alive)
    out.append("Connection: close\r\n");
  else if (client_minor == 0)
    out.append("Connection: keep-alive\r\n");
  out.append("\r\n");
}

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 405:
      return "Method Not Allowed";
    case 414:
      return "URI Too Long";
    case 431:
      return "Request Header Fields Too Large";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 504:
      return "Gateway Timeout";
    default:
      return "Error";
  }
}

std::string error_reply(int status, std::string_view why) {
  const std::string body = fmt::format("{} {}: {}\n", status, reason_phrase(status), why);
  return fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n{}Via: 1.1 "
      "connperf\r\nConnection: close\r\n\r\n{}",
      status, reason_phrase(status), body.size(),
      status == 405 ? "Allow: GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH, CONNECT\r\n" : "",
      body);
}

}  // namespace connperf::proxy
