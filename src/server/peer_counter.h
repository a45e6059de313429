// Connections accepted per source address (without port), counted by one accepting thread;
// read after that thread stopped. Keys are raw address bytes: no string per accept.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>

#include "net/address.h"

namespace connperf::server {

class PeerCounter {
 public:
  static constexpr std::size_t kMaxPeers = 4096;  // distinct addresses tracked one by one
  void count(const net::SockAddr& peer);
  void add_to(std::map<std::string, std::uint64_t>& out) const;

 private:
  using Key = std::array<unsigned char, sizeof(sockaddr_in6)>;
  std::map<Key, std::pair<std::string, std::uint64_t>> peers_;
  std::uint64_t untracked_ = 0;
};

}  // namespace connperf::server
