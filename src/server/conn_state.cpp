#include "server/conn_state.h"

namespace connperf::server {

const char* to_string(ConnState state) noexcept {
  switch (state) {
    case ConnState::Free: return "free";
    case ConnState::Handshaking: return "handshaking";
    case ConnState::Reading: return "reading";
    case ConnState::Paused: return "paused";
    case ConnState::Closing: return "closing";
    case ConnState::PeerClosed: return "peer-closed";
    case ConnState::WriteShut: return "write-shut";
  }
  return "?";
}

}  // namespace connperf::server
