// The states of one connection of the epoll model (server.cpp): what it does with the next
// event. The epoll interest follows from the state, set in one place (ServerWorker::transition).
#pragma once

#include <cstdint>

namespace connperf::server {

enum class ConnState : std::uint8_t {
  Free,        // the slot holds no connection
  Handshaking, // --tls: the TLS handshake; EPOLLOUT while OpenSSL wants to write
  Reading,     // reads requests and answers them; EPOLLOUT only while an answer is blocked
  Paused,      // the answers owed reached the high-water mark: no reading until they are sent
  Closing,     // the reply that ends the connection is queued: send everything, then close
  PeerClosed,  // the peer's FIN came while answers were owed: send them, then close (fin)
  WriteShut,   // draining: our FIN is sent; reads until the peer closes
};
const char* to_string(ConnState state) noexcept;

}  // namespace connperf::server
