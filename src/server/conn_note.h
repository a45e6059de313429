// --log-connections on the server: what a logged connection's record needs while it is open
// (ConnNote, kept beside the connection by its worker, thread or process) and the record built
// from it when it ends, named by the counter it ended in. Any thread; no shared state.
#pragma once

#include <netinet/in.h>

#include <cstdint>

#include "net/address.h"
#include "server/replies.h"
#include "stats/conn_log.h"
#include "stats/server_stats.h"

namespace connperf::server {

struct ConnNote {
  std::uint64_t accepted = 0;    // monotonic ns
  std::uint64_t tls_done = 0;    // --tls: handshake done; 0: not (yet)
  std::uint64_t first_byte = 0;  // the first read that brought bytes
  std::uint64_t replied = 0;     // the replies that read earned, handed to the kernel
  std::uint32_t requests = 0;
  stats::EndDetail detail = stats::EndDetail::None;  // set where it is known (idle, stop, TLS)
  // epoll: when the connection's current event began (the first byte's time, for the event
  // that read it) and the listener's request counter then
  std::uint64_t event_at = 0;
  std::uint64_t requests_seen = 0;
  sockaddr_in6 peer{};           // AF_UNSPEC: unknown

  void start(std::uint64_t now, const net::SockAddr& from) noexcept;
  // A read brought bytes at `now` that made `requests` requests.
  void read(std::uint64_t now, std::uint64_t more_requests) noexcept {
    requests += static_cast<std::uint32_t>(more_requests);
    if (first_byte == 0) first_byte = now;
  }
  void sent(std::uint64_t now) noexcept {
    if (first_byte != 0 && replied == 0) replied = now;
  }
};

// The record's end: the counter `why` of `st` the connection ended in (rst, fin,
// closed_by_server, errors).
std::uint8_t server_conn_end(const stats::ListenerStats& st, const stats::Counter& why) noexcept;

// Why a connection ended in `end`, beyond the counter: the note's own detail (idle timeout,
// stop, TLS failure), else the closing reply it was sent (`last`), else our FIN of the drain
// (`write_shut`).
stats::EndDetail end_detail(const ConnNote& n, std::uint8_t end, Last last,
                            bool write_shut) noexcept;

// The record of a connection ending `now`, its local address read from `fd` (-1: unknown).
stats::ConnRecord server_conn_record(const ConnNote& n, std::uint64_t now, int fd,
                                     std::uint16_t listener, std::uint8_t end,
                                     stats::EndDetail detail) noexcept;

// The ring a logged connection's record goes to (the blocking models: its slot's), or null.
struct LogTo {
  stats::ConnRing* ring = nullptr;
  bool tcp_info = false;
};

// Pushes the record of a connection ending now (TCP_INFO read before `fd` closes); a full ring
// counts a drop.
void push_server_record(const LogTo& to, const ConnNote& note, int fd, std::size_t listener,
                        std::uint8_t end, stats::EndDetail detail) noexcept;

}  // namespace connperf::server
