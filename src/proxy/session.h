// One client connection of the proxy and the upstream connection it uses: two relays (bytes
// going up to the origin, bytes coming down to the client), the framing state of the exchange
// in progress, and the phase. Owned and touched by one worker thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/address.h"
#include "net/socket.h"
#include "proto/http.h"

namespace connperf::proxy {

// One direction's bytes. Read from the source into [start, end); the first `pass` of them are
// framed and cleared for the sink, which gets `head` (a rewritten message head) first. The
// buffer is allocated on first use and given back when the connection goes idle.
struct Relay {
  std::unique_ptr<char[]> data;
  std::size_t cap = 0;
  std::size_t start = 0;
  std::size_t end = 0;
  std::size_t pass = 0;
  std::string head;
  std::size_t head_off = 0;
  bool eof = false;      // the source has ended
  bool shut = false;     // tunnels: the sink's write side is shut down
  bool ready = true;     // the source may have bytes: no read has hit EAGAIN since its last edge
  bool blocked = false;  // the sink's last write would block: waiting for EPOLLOUT

  // Tunnels: once the buffer is empty, bytes go through this pipe by splice(2), never copied
  // to user space; `piped` of its capacity are in it.
  net::Fd pipe_r;
  net::Fd pipe_w;
  std::size_t pipe_cap = 0;
  std::size_t piped = 0;
  bool spliced = false;

  std::size_t buffered() const noexcept { return end - start; }
  std::size_t room() const noexcept { return spliced ? pipe_cap - piped : cap - buffered(); }
  bool copy_pending() const noexcept { return head_off < head.size() || pass > 0; }
  bool out_pending() const noexcept { return copy_pending() || piped > 0; }
  // Switches to the pipe when there is one and nothing is left in the buffer.
  bool use_pipe() noexcept {
    if (!spliced && pipe_w && buffered() == 0 && head_off >= head.size()) spliced = true;
    return spliced;
  }
  std::string_view unframed() const noexcept {
    return {data.get() + start + pass, end - start - pass};
  }
  // Where the next read goes (the buffer must be there); compacts when the free space is at
  // the front.
  char* read_ptr(std::size_t& len) noexcept {
    if (end == cap && start > 0) {
      std::memmove(data.get(), data.get() + start, end - start);
      end -= start;
      start = 0;
    }
    len = cap - end;
    return data.get() + end;
  }
  // Drops n bytes from the front (sent, or a head that was rewritten).
  void drop(std::size_t n) noexcept {
    start += n;
    if (start == end) start = end = 0;
  }
  void discard_unframed() noexcept { end = start + pass; }
  void reset_head() noexcept {
    head.clear();
    head_off = 0;
  }
};

enum class Phase : std::uint8_t {
  Head,      // reading a request head from the client (keep-alive: between requests)
  Lookup,    // the upstream's name is being resolved
  Connect,   // the upstream connection is being opened
  Exchange,  // a request is going up and its response coming down
  Tunnel,    // CONNECT: bytes relayed both ways untouched
  Closing,   // sending what is left to the client, then closing (after reading its rest)
};
const char* to_string(Phase p) noexcept;

enum class Reply : std::uint8_t { Head, Body, Done };

struct Session {
  int client = -1;
  int upstream = -1;
  std::uint32_t gen = 0;
  std::uint32_t up_gen = 0;  // changes with every upstream socket: stale events are ignored
  bool open = false;
  Phase phase = Phase::Head;
  Reply reply = Reply::Head;
  bool tunnel = false;         // the pending connect is for CONNECT
  bool req_done = false;       // the request body has been framed to its end
  bool reply_started = false;  // response bytes were queued for the client
  bool client_keep = false;    // the client asked to keep the connection open
  bool keep_client = false;    // ...and this response allows it
  bool keep_upstream = false;  // the upstream connection can serve the next request
  bool head_request = false;
  bool reused = false;  // this request went on a kept upstream connection
  bool retried = false;
  bool bodyless = false;        // the request has no body (it may be sent again)
  bool upstream_reset = false;  // the upstream failed rather than ended cleanly
  bool shut_client = false;     // Closing: our FIN to the client is sent
  bool abort_client = false;    // Closing: end with a reset (the response was cut short)
  std::uint8_t client_minor = 1;
  std::uint8_t interims = 0;  // 1xx heads of this exchange
  std::uint64_t last_active = 0;
  std::uint64_t head_since = 0;  // Head: when the first byte of the head being read arrived
  Relay up;    // client → upstream
  Relay down;  // upstream → client
  proto::BodyFramer req_body;
  proto::BodyFramer resp_body;
  std::string host;  // upstream target, as in the request
  std::uint16_t port = 0;
  std::vector<net::SockAddr> addrs;
  std::size_t next_addr = 0;
  int last_connect_errno = 0;
};

}  // namespace connperf::proxy
