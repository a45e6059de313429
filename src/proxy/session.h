// One client connection of the proxy and the upstream connection it uses: two relays (bytes
// going up to the origin, bytes coming down to the client), the framing state of the exchange
// in progress, and the phase. Owned and touched by one worker thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/address.h"
#include "net/error.h"
#include "net/socket.h"
#include "proto/http.h"
#include "proxy/buffer_pool.h"

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
  bool shut = false;     // the sink's write side is shut down
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
  // Where the next read goes, taking a buffer from `buffers` when there is none; compacts when
  // the free space is at the front.
  char* read_ptr(BufferPool& buffers, std::size_t& len);
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
  // n bytes were written to the sink: the head's first, then cleared ones.
  void sent(std::size_t n) noexcept;
  // Back to `buffers` when it holds no bytes.
  void release(BufferPool& buffers) noexcept;
  // A pipe of up to `size` bytes; without one (no fds left) the tunnel copies through the buffer.
  void open_pipe(std::size_t size) noexcept;
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

// Where the client's reply stands. Head: the response head is awaited (1xx heads may pass);
// Body: the response body is passing; Done: all of the reply is queued for the client (the
// origin's, our own error reply, or a tunnel's 200).
enum class Reply : std::uint8_t { Head, Body, Done };

// What the request asks for: HEAD gets a response without a body, CONNECT a tunnel.
enum class Method : std::uint8_t { Other, Head, Connect };

// The upstream connection a request went on. Kept: one that served an earlier request (this
// client's, or another's from the pool); if it ends before any response byte, a request without
// a body goes once more on a new connection: Resent.
enum class UpstreamConn : std::uint8_t { New, Kept, Resent };

// One request and its response: reset as a whole when the client connection goes back to
// waiting for the next request head.
struct Exchange {
  Method method = Method::Other;
  Reply reply = Reply::Head;
  UpstreamConn upstream = UpstreamConn::New;
  bool request_done = false;  // the request body has been framed to its end
  bool bodyless = false;      // the request has no body (it may be sent again)
  // The client's wish: its request asked to keep the connection open.
  bool client_asks_keep_alive = false;
  // Our decisions, made from the response head: the client connection waits for another
  // request; the upstream connection serves another one (this client's, or from the pool).
  bool proxy_keeps_client = false;
  bool proxy_keeps_upstream = false;
  // The request had a field named like framing (Content_Length): dropped, but a peer on either
  // side may have framed the message by it, so neither connection serves another request.
  bool ambiguous = false;
  std::uint8_t client_minor = 1;  // the client's HTTP/1.x
  std::uint8_t interims = 0;      // 1xx heads passed on
  proto::BodyFramer request_body;
  proto::BodyFramer response_body;

  // Bytes of a reply (the origin's or ours) are queued for the client: no error reply can go.
  bool reply_started() const noexcept { return reply != Reply::Head; }
};

struct Session {
  int client = -1;  // the slot is in use while the client connection is open
  int upstream = -1;
  std::uint32_t gen = 0;
  std::uint32_t up_gen = 0;  // changes with every upstream socket: stale events are ignored
  Phase phase = Phase::Head;
  bool upstream_failed = false;  // the upstream reset or failed rather than ended cleanly
  bool cut_short = false;  // Closing: the reply was cut short, so a reset follows it, not a FIN
  std::uint64_t last_active = 0;
  std::uint64_t head_since = 0;  // Head: when the first byte of the head being read arrived
  Relay up;    // client → upstream
  Relay down;  // upstream → client; down.shut: our FIN to the client is sent
  Exchange ex;
  std::string host;  // upstream target, as in the request
  std::uint16_t port = 0;
  std::vector<net::SockAddr> addrs;
  std::size_t next_addr = 0;
  net::Result connect_error;  // why the last address tried failed (Ok: none failed)

  bool open() const noexcept { return client >= 0; }
  void close_upstream() noexcept;
  void detach_upstream() noexcept;  // the upstream socket is no longer this session's
};

}  // namespace connperf::proxy
