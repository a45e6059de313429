#include "client/http_get.h"

#include <poll.h>

#include <fmt/format.h>

#include "loop/clock.h"
#include "net/socket.h"
#include "proto/http_head.h"

namespace connperf::client {

HttpUrl parse_http_url(std::string_view url) {
  proto::AbsoluteUri u;
  if (const char* why = proto::parse_absolute_uri(url, u))
    throw HttpGetError(fmt::format("'{}': {}", url, why));
  if (u.scheme != "http") throw HttpGetError(fmt::format("'{}': only http:// is supported", url));
  HttpUrl out;
  out.authority = std::string(u.authority);
  out.path = u.path.empty() ? "/" : std::string(u.path);
  try {
    const auto all = net::resolve_host(std::string(u.host), u.port);
    out.addr = all.front();
  } catch (const net::AddressError& e) {
    throw HttpGetError(fmt::format("'{}': {}", url, e.what()));
  }
  return out;
}

namespace {

int ms_left(std::uint64_t deadline) {
  const std::uint64_t now = loop::now_ns();
  return now >= deadline ? 0 : static_cast<int>(loop::ms_from_ns(deadline - now) + 1);
}

// Waits for `events` on fd until the deadline; throws when it passed.
void wait_for(int fd, short events, std::uint64_t deadline, const std::string& what) {
  pollfd p{fd, events, 0};
  const net::Result r = net::poll_fds(&p, 1, ms_left(deadline));
  if (!r.ok()) throw HttpGetError(what + ": poll: " + net::errno_text(r.sys_errno));
  if (r.value == 0) throw HttpGetError(what + ": timed out");
}

void send_all(int fd, const std::string& request, std::uint64_t deadline, const std::string& what) {
  for (std::size_t sent = 0; sent < request.size();) {
    const net::Result r = net::send_some(fd, request.data() + sent, request.size() - sent);
    if (r.err == net::Err::WouldBlock) {
      wait_for(fd, POLLOUT, deadline, what);
      continue;
    }
    if (!r.ok()) throw HttpGetError(what + ": " + net::errno_text(r.sys_errno));
    sent += static_cast<std::size_t>(r.value);
  }
}

// Reads until the peer closes or the reply's Content-Length is in.
std::string read_reply(int fd, std::uint64_t deadline, const std::string& what) {
  std::string in;
  char buf[16 * 1024];
  std::size_t want = 0;  // the whole reply's size once the head is known
  while (want == 0 || in.size() < want) {
    const net::Result r = net::read_some(fd, buf, sizeof buf);
    if (r.err == net::Err::WouldBlock) {
      wait_for(fd, POLLIN, deadline, what);
      continue;
    }
    if (!r.ok()) throw HttpGetError(what + ": " + net::errno_text(r.sys_errno));
    if (r.value == 0) break;
    in.append(buf, static_cast<std::size_t>(r.value));
    if (in.size() > kMaxReply) throw HttpGetError(what + ": reply larger than 16 MiB");
    std::size_t end = 0;
    std::size_t skip = 0;
    proto::Head h;
    if (want == 0 &&
        proto::find_head_end(in, 8192, 65536, end, skip) == proto::HeadScan::Complete &&
        proto::parse_response_head(std::string_view(in).substr(skip, end - skip), h) == nullptr &&
        h.info.has_length)
      want = end + h.info.content_length;
  }
  return in;
}

}  // namespace

HttpReply http_get(const HttpUrl& url, std::string_view path, int timeout_ms) {
  if (path.empty()) path = url.path;
  const std::string what = fmt::format("GET http://{}{}", url.authority, path);
  const std::uint64_t deadline = loop::now_ns() + loop::ns_from_ms(static_cast<std::uint64_t>(timeout_ms));
  net::Fd fd;
  const net::Result c = net::connect_within(url.addr, timeout_ms, fd);
  if (!c.ok()) throw HttpGetError(what + ": " + net::errno_text(c.sys_errno));
  send_all(fd.get(),
           fmt::format("GET {} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\n"
                       "Connection: close\r\n\r\n",
                       path, url.authority),
           deadline, what);
  const std::string in = read_reply(fd.get(), deadline, what);
  std::size_t end = 0;
  std::size_t skip = 0;
  proto::Head h;
  if (proto::find_head_end(in, 8192, 65536, end, skip) != proto::HeadScan::Complete ||
      proto::parse_response_head(std::string_view(in).substr(skip, end - skip), h) != nullptr)
    throw HttpGetError(what + ": the reply is not HTTP");
  HttpReply reply;
  reply.status = h.status;
  reply.body = in.substr(end);
  if (h.info.has_length && reply.body.size() < h.info.content_length)
    throw HttpGetError(what + ": the reply ended early");
  return reply;
}

}  // namespace connperf::client
