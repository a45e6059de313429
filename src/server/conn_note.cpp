#include "server/conn_note.h"

#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "loop/clock.h"

namespace connperf::server {

void ConnNote::start(std::uint64_t now, const net::SockAddr& from) noexcept {
  *this = ConnNote{};
  accepted = now;
  std::memcpy(&peer, &from.storage, std::min<std::size_t>(from.len, sizeof peer));
  if (from.len == 0) peer.sin6_family = AF_UNSPEC;
}

std::uint8_t server_conn_end(const stats::ListenerStats& st, const stats::Counter& why) noexcept {
  using stats::ConnEnd;
  if (&why == &st.rst) return stats::to_end(ConnEnd::Rst);
  if (&why == &st.fin) return stats::to_end(ConnEnd::Fin);
  if (&why == &st.closed_by_server) return stats::to_end(ConnEnd::ClosedByServer);
  return stats::to_end(ConnEnd::ServerErrors);
}

stats::EndDetail end_detail(const ConnNote& n, std::uint8_t end, Last last,
                            bool write_shut) noexcept {
  using stats::EndDetail;
  if (n.detail != EndDetail::None) return n.detail;
  const bool ours = end == stats::to_end(stats::ConnEnd::ClosedByServer) ||
                    end == stats::to_end(stats::ConnEnd::ServerErrors);
  if (!ours) return EndDetail::None;  // the peer's reset or FIN says it
  switch (last) {
    case Last::BadRequest: return EndDetail::BadRequest;
    case Last::NotImplemented: return EndDetail::NotImplemented;
    case Last::Close:
    case Last::CloseHead:
    case Last::Sent: return EndDetail::ConnectionClose;
    case Last::None: break;
  }
  return write_shut ? EndDetail::Drained : EndDetail::None;
}

stats::ConnRecord server_conn_record(const ConnNote& n, std::uint64_t now, int fd,
                                     std::uint16_t listener, std::uint8_t end,
                                     stats::EndDetail detail) noexcept {
  stats::ConnRecord r;
  r.start_ns = n.accepted;
  r.end_ns = now;
  r.source = n.peer;
  socklen_t len = sizeof r.local;
  if (fd < 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&r.local), &len) != 0)
    r.local.sin6_family = AF_UNSPEC;
  if (n.tls_done) r.tls_us = stats::record_us(n.tls_done - n.accepted);
  if (n.first_byte) r.ttfb_us = stats::record_us(n.first_byte - n.accepted);
  if (n.replied) r.ttlb_us = stats::record_us(n.replied - n.first_byte);
  r.requests = n.requests;
  r.target = listener;
  r.end = end;
  r.detail = detail;
  return r;
}

void push_server_record(const LogTo& to, const ConnNote& note, int fd, std::size_t listener,
                        std::uint8_t end, stats::EndDetail detail) noexcept {
  stats::ConnRecord r = server_conn_record(note, loop::now_ns(), fd,
                                           static_cast<std::uint16_t>(listener), end, detail);
  if (to.tcp_info && fd >= 0) stats::read_tcp_info(fd, r.tcp);
  to.ring->push(r);
}

}  // namespace connperf::server
