#include "server/peer_counter.h"

#include <algorithm>
#include <cstring>

namespace connperf::server {

void PeerCounter::count(const net::SockAddr& peer) {
  net::SockAddr host = peer;
  host.set_port(0);
  Key key{};
  std::memcpy(key.data(), &host.storage, std::min<std::size_t>(host.len, key.size()));
  if (auto it = peers_.find(key); it != peers_.end()) {
    ++it->second.second;
  } else if (peers_.size() < kMaxPeers) {
    peers_.emplace(key, std::make_pair(peer.host_string(), std::uint64_t{1}));
  } else {
    ++untracked_;
  }
}

void PeerCounter::add_to(std::map<std::string, std::uint64_t>& out) const {
  for (const auto& [key, entry] : peers_) out[entry.first] += entry.second;
  if (untracked_) out["other"] += untracked_;
}

}  // namespace connperf::server
