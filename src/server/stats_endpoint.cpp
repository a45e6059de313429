#include "server/stats_endpoint.h"

#include <algorithm>

#include <fmt/format.h>

#include "proto/http_head.h"

namespace connperf::server {

namespace {

constexpr std::uint8_t kListener = 0;
constexpr std::uint8_t kClient = 1;

std::string response(int status, std::string_view reason, const Page& page, bool with_body) {
  std::string out = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n"
      "Connection: close\r\n\r\n",
      status, reason, page.content_type, page.body.size());
  if (with_body) out += page.body;
  return out;
}

Page text(std::string_view body) { return {"text/plain; charset=utf-8", std::string(body)}; }

}  // namespace

std::string stats_response(std::string_view head, const Pages& pages) {
  proto::Head h;
  if (proto::parse_request_head(head, h) != nullptr)
    return response(400, "Bad Request", text("bad request\n"), true);
  const bool is_head = h.method == "HEAD";
  if (h.method != "GET" && !is_head)
    return response(405, "Method Not Allowed", text("only GET and HEAD\n"), true);
  std::string_view path = h.target;
  path = path.substr(0, path.find('?'));
  if (const auto page = pages(path)) return response(200, "OK", *page, !is_head);
  return response(404, "Not Found", text("not found: try /metrics or /stats\n"), !is_head);
}

StatsEndpoint::StatsEndpoint(const net::SockAddr& addr, Pages pages)
    : pages_(std::move(pages)), acceptor_(loop_, kListener) {
  acceptor_.add(loop::bind_listener(addr, false, 64, bound_));
}

StatsEndpoint::~StatsEndpoint() { stop(); }

void StatsEndpoint::start() {
  thread_ = std::thread([this] {
    acceptor_.start();
    loop_.run(*this);
    for (Client& c : clients_) c.fd.reset();
    acceptor_.close_all();
  });
}

void StatsEndpoint::stop() noexcept {
  if (!thread_.joinable()) return;
  stopping_ = true;
  loop_.wake();
  thread_.join();
}

void StatsEndpoint::on_wake() {
  if (stopping_) loop_.stop();
}

void StatsEndpoint::on_io(loop::Token token, std::uint32_t events) {
  if (token.kind == kListener) {
    acceptor_.burst(token.slot, open_, kMaxClients,
                    [this](int fd, const net::SockAddr&, std::size_t) { return adopt(fd); });
    return;
  }
  if (token.slot >= kMaxClients) return;
  Client& c = clients_[token.slot];
  if (!c.fd || c.gen != token.gen) return;  // a stale event for a slot since reused
  if (events & (EPOLLERR | EPOLLHUP)) return close(c);
  if (c.out.empty()) read_request(c, token.slot);
  else write_response(c, token.slot);
}

std::uint64_t StatsEndpoint::adopt(int fd) {
  const auto free = std::find_if(clients_.begin(), clients_.end(),
                                 [](const Client& c) { return !c.fd; });
  net::Fd owned(fd);
  if (free == clients_.end()) return open_;  // cannot happen below the cap; closed here
  Client& c = *free;
  const auto slot = static_cast<std::uint32_t>(free - clients_.begin());
  c.fd = std::move(owned);
  c.in.clear();
  c.out.clear();
  c.sent = 0;
  c.deadline = loop::now_ns() + kTimeoutNs;
  ++c.gen;
  if (!loop_.add(c.fd.get(), EPOLLIN, {slot, c.gen, kClient}).ok()) {
    c.fd.reset();
    return open_;
  }
  ++open_;
  arm_deadline();
  return open_;
}

void StatsEndpoint::read_request(Client& c, std::uint32_t slot) {
  char buf[2048];
  for (;;) {
    const net::Result r = net::read_some(c.fd.get(), buf, sizeof buf);
    if (r.err == net::Err::WouldBlock) return;
    if (!r.ok() || r.value == 0) return close(c);
    c.in.append(buf, static_cast<std::size_t>(r.value));
    std::size_t end = 0;
    std::size_t skip = 0;
    const proto::HeadScan scan = proto::find_head_end(c.in, kMaxRequest, kMaxRequest, end, skip);
    if (scan == proto::HeadScan::NeedMore && c.in.size() < kMaxRequest) continue;
    if (scan == proto::HeadScan::Complete)
      c.out = stats_response(std::string_view(c.in).substr(skip, end - skip), pages_);
    else
      c.out = response(431, "Request Header Fields Too Large", text("request too large\n"), true);
    (void)loop_.modify(c.fd.get(), EPOLLOUT, {slot, c.gen, kClient});
    return write_response(c, slot);
  }
}

void StatsEndpoint::write_response(Client& c, std::uint32_t) {
  while (c.sent < c.out.size()) {
    const net::Result r = net::send_some(c.fd.get(), c.out.data() + c.sent, c.out.size() - c.sent);
    if (r.err == net::Err::WouldBlock) return;  // EPOLLOUT brings us back
    if (!r.ok()) return close(c);
    c.sent += static_cast<std::size_t>(r.value);
  }
  (void)net::shutdown_write(c.fd.get());
  close(c);
}

void StatsEndpoint::close(Client& c) {
  c.fd.reset();  // closing takes it out of epoll
  c.in = std::string();
  c.out = std::string();
  --open_;
  acceptor_.connection_closed();
  arm_deadline();
}

void StatsEndpoint::on_deadline(std::uint64_t now) {
  acceptor_.tick(now);
  for (Client& c : clients_)
    if (c.fd && c.deadline <= now) close(c);
  arm_deadline();
}

void StatsEndpoint::arm_deadline() {
  std::uint64_t next = acceptor_.resume_at();
  for (const Client& c : clients_)
    if (c.fd && (next == 0 || c.deadline < next)) next = c.deadline;
  loop_.set_deadline(next);
}

}  // namespace connperf::server
