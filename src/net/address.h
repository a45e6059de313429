// Socket addresses: an owning sockaddr_storage value type, endpoint parsing ("HOST:PORT",
// "[V6]:PORT", names resolved once at start) and source-address specs for --bind.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace connperf::net {

class AddressError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SockAddr {
  sockaddr_storage storage{};
  socklen_t len = 0;  // 0 = empty

  int family() const noexcept { return len ? storage.ss_family : AF_UNSPEC; }
  std::uint16_t port() const noexcept;  // host order
  void set_port(std::uint16_t port) noexcept;
  const sockaddr* get() const noexcept { return reinterpret_cast<const sockaddr*>(&storage); }
  sockaddr* get() noexcept { return reinterpret_cast<sockaddr*>(&storage); }
  std::string host_string() const;  // "127.0.0.1", "::1"
  std::string to_string() const;    // "127.0.0.1:80", "[::1]:80"
  bool is_loopback() const noexcept;
  bool operator==(const SockAddr& o) const noexcept;

  static SockAddr from(const sockaddr* sa, socklen_t len) noexcept;
  static SockAddr ipv4(std::uint32_t host_order_addr, std::uint16_t port) noexcept;
};

// "HOST:PORT", "[V6]:PORT", ":PORT" (0.0.0.0), or "HOST" alone when default_port is given.
// Names are resolved once, here (first IPv4 result, else first IPv6). Throws AddressError.
SockAddr resolve_endpoint(std::string_view spec,
                          std::optional<std::uint16_t> default_port = std::nullopt);

// A numeric host ("127.0.0.1", "::1", "[::1]") with port 0; nullopt when not a literal.
std::optional<SockAddr> parse_ip_literal(std::string_view host) noexcept;

// --bind: comma-separated items, each an address, an inclusive range "A-B" (IPv6 ranges may
// differ only in the low 64 bits) or CIDR "A/N" (IPv4 prefixes up to /30 exclude the network
// and broadcast addresses). Numeric only, port 0, at most kMaxBindAddresses. Throws AddressError.
inline constexpr std::size_t kMaxBindAddresses = 65536;
std::vector<SockAddr> parse_bind_spec(std::string_view spec);

// An address prefix, "127.0.0.0/8", "::1/128" or an address alone (all of its bits).
struct Cidr {
  SockAddr base;
  unsigned prefix = 0;
  // IPv4-mapped IPv6 addresses (a dual-stack listener's IPv4 peers) match IPv4 prefixes.
  bool contains(const SockAddr& addr) const noexcept;
  std::string to_string() const;
};
Cidr parse_cidr(std::string_view spec);  // throws AddressError

// Every address of `host` (a literal or a name; getaddrinfo, so it may block), IPv4 first, each
// with `port`. Throws AddressError naming the host.
std::vector<SockAddr> resolve_host(const std::string& host, std::uint16_t port);

}  // namespace connperf::net
