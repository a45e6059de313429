#include "net/address.h"

#include <arpa/inet.h>
#include <netdb.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace connperf::net {

namespace {

std::string in_quotes(std::string_view s) { return "'" + std::string(s) + "'"; }

std::uint16_t parse_port(std::string_view text, std::string_view spec) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value > 65535)
    throw AddressError("bad port in " + in_quotes(spec) + " (0-65535)");
  return static_cast<std::uint16_t>(value);
}

// Host order for IPv4; the low 64 bits for IPv6 ranges.
std::uint64_t low_bits(const SockAddr& a) {
  if (a.family() == AF_INET)
    return ntohl(reinterpret_cast<const sockaddr_in*>(&a.storage)->sin_addr.s_addr);
  const auto* b = reinterpret_cast<const sockaddr_in6*>(&a.storage)->sin6_addr.s6_addr;
  std::uint64_t v = 0;
  for (int i = 8; i < 16; ++i) v = v << 8 | b[i];
  return v;
}

SockAddr with_low_bits(SockAddr a, std::uint64_t v) {
  if (a.family() == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&a.storage)->sin_addr.s_addr =
        htonl(static_cast<std::uint32_t>(v));
    return a;
  }
  auto* b = reinterpret_cast<sockaddr_in6*>(&a.storage)->sin6_addr.s6_addr;
  for (int i = 15; i >= 8; --i, v >>= 8) b[i] = static_cast<unsigned char>(v & 0xff);
  return a;
}

bool same_high_bits(const SockAddr& a, const SockAddr& b) {
  if (a.family() == AF_INET) return true;
  const auto* x = reinterpret_cast<const sockaddr_in6*>(&a.storage)->sin6_addr.s6_addr;
  const auto* y = reinterpret_cast<const sockaddr_in6*>(&b.storage)->sin6_addr.s6_addr;
  return std::memcmp(x, y, 8) == 0;
}

SockAddr literal_or_throw(std::string_view text, std::string_view item) {
  auto a = parse_ip_literal(text);
  if (!a) throw AddressError("bad address " + in_quotes(text) + " in " + in_quotes(item));
  return *a;
}

void check_cap(std::size_t have, std::uint64_t more, std::string_view item) {
  if (more > kMaxBindAddresses || have + more > kMaxBindAddresses)
    throw AddressError(in_quotes(item) + " expands to more than 65536 addresses");
}

void add_range(std::vector<SockAddr>& out, const SockAddr& first, std::uint64_t from,
               std::uint64_t to, std::string_view item) {
  check_cap(out.size(), to - from + 1, item);
  for (std::uint64_t v = from;; ++v) {
    out.push_back(with_low_bits(first, v));
    if (v == to) break;
  }
}

// "A/N" → A and N, checked against the family's width.
Cidr split_cidr(std::string_view item, std::size_t slash) {
  Cidr c;
  c.base = literal_or_throw(item.substr(0, slash), item);
  const unsigned bits = c.base.family() == AF_INET ? 32 : 128;
  const std::string_view p = item.substr(slash + 1);
  const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), c.prefix);
  if (p.empty() || ec != std::errc{} || end != p.data() + p.size() || c.prefix > bits)
    throw AddressError("bad prefix length in " + in_quotes(item));
  return c;
}

void add_cidr(std::vector<SockAddr>& out, std::string_view item, std::size_t slash) {
  const Cidr c = split_cidr(item, slash);
  const SockAddr& base = c.base;
  const int bits = base.family() == AF_INET ? 32 : 128;
  const int host_bits = bits - static_cast<int>(c.prefix);
  if (host_bits > 16) throw AddressError(in_quotes(item) + " expands to more than 65536 addresses");
  const std::uint64_t size = std::uint64_t{1} << host_bits;
  const std::uint64_t first = low_bits(base) & ~(size - 1);
  const bool skip_ends = base.family() == AF_INET && host_bits >= 2;
  add_range(out, base, first + (skip_ends ? 1 : 0), first + size - 1 - (skip_ends ? 1 : 0), item);
}

void add_item(std::vector<SockAddr>& out, std::string_view item) {
  if (item.empty()) throw AddressError("empty item in --bind list");
  if (const auto slash = item.find('/'); slash != std::string_view::npos)
    return add_cidr(out, item, slash);
  const auto dash = item.find('-');
  if (dash == std::string_view::npos) {
    check_cap(out.size(), 1, item);
    out.push_back(literal_or_throw(item, item));
    return;
  }
  const SockAddr a = literal_or_throw(item.substr(0, dash), item);
  const SockAddr b = literal_or_throw(item.substr(dash + 1), item);
  if (a.family() != b.family()) throw AddressError("range " + in_quotes(item) + " mixes IPv4 and IPv6");
  if (!same_high_bits(a, b))
    throw AddressError("IPv6 range " + in_quotes(item) + " may differ only in the low 64 bits");
  if (low_bits(a) > low_bits(b)) throw AddressError("range " + in_quotes(item) + " runs backwards");
  add_range(out, a, low_bits(a), low_bits(b), item);
}

SockAddr resolve_name(const std::string& host, std::uint16_t port, std::string_view) {
  return resolve_host(host, port).front();
}

}  // namespace

std::uint16_t SockAddr::port() const noexcept {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
  if (family() == AF_INET6)
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
  return 0;
}

void SockAddr::set_port(std::uint16_t p) noexcept {
  if (family() == AF_INET) reinterpret_cast<sockaddr_in*>(&storage)->sin_port = htons(p);
  if (family() == AF_INET6) reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port = htons(p);
}

std::string SockAddr::host_string() const {
  char buf[INET6_ADDRSTRLEN] = "";
  if (family() == AF_INET)
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr, buf, sizeof buf);
  else if (family() == AF_INET6)
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr, buf,
                sizeof buf);
  return buf;
}

std::string SockAddr::to_string() const {
  if (family() == AF_INET6) return "[" + host_string() + "]:" + std::to_string(port());
  return host_string() + ":" + std::to_string(port());
}

bool SockAddr::is_loopback() const noexcept {
  if (family() == AF_INET) return (low_bits(*this) >> 24) == 127;
  if (family() != AF_INET6) return false;
  const in6_addr& a = reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr;
  return IN6_IS_ADDR_LOOPBACK(&a) || (IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127);
}

bool SockAddr::operator==(const SockAddr& o) const noexcept {
  if (family() != o.family() || port() != o.port()) return false;
  if (family() == AF_INET) return low_bits(*this) == low_bits(o);
  if (family() != AF_INET6) return true;
  const auto* x = reinterpret_cast<const sockaddr_in6*>(&storage);
  const auto* y = reinterpret_cast<const sockaddr_in6*>(&o.storage);
  return std::memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0 &&
         x->sin6_scope_id == y->sin6_scope_id;
}

SockAddr SockAddr::from(const sockaddr* sa, socklen_t len) noexcept {
  SockAddr a;
  a.len = std::min<socklen_t>(len, sizeof a.storage);
  std::memcpy(&a.storage, sa, a.len);
  return a;
}

SockAddr SockAddr::ipv4(std::uint32_t host_order_addr, std::uint16_t port) noexcept {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_addr.s_addr = htonl(host_order_addr);
  in.sin_port = htons(port);
  return from(reinterpret_cast<const sockaddr*>(&in), sizeof in);
}

std::optional<SockAddr> parse_ip_literal(std::string_view host) noexcept {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty() || host.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char text[INET6_ADDRSTRLEN] = "";
  host.copy(text, host.size());
  sockaddr_in v4{};
  if (::inet_pton(AF_INET, text, &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    return SockAddr::from(reinterpret_cast<const sockaddr*>(&v4), sizeof v4);
  }
  sockaddr_in6 v6{};
  if (::inet_pton(AF_INET6, text, &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    return SockAddr::from(reinterpret_cast<const sockaddr*>(&v6), sizeof v6);
  }
  return std::nullopt;
}

SockAddr resolve_endpoint(std::string_view spec, std::optional<std::uint16_t> default_port) {
  std::string_view host = spec;
  std::optional<std::uint16_t> port = default_port;
  if (!spec.empty() && spec.front() == '[') {
    const auto close = spec.find(']');
    if (close == std::string_view::npos) throw AddressError("bad address " + in_quotes(spec) + ": missing ']'");
    host = spec.substr(1, close - 1);
    const std::string_view rest = spec.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') throw AddressError("bad address " + in_quotes(spec));
      port = parse_port(rest.substr(1), spec);
    }
  } else if (const auto colon = spec.rfind(':'); colon != std::string_view::npos) {
    if (spec.find(':') != colon) {
      if (!default_port || !parse_ip_literal(spec))
        throw AddressError("bad address " + in_quotes(spec) + ": write IPv6 as [ADDR]:PORT");
    } else {
      host = spec.substr(0, colon);
      port = parse_port(spec.substr(colon + 1), spec);
    }
  }
  if (!port) throw AddressError("missing port in " + in_quotes(spec) + " (HOST:PORT)");
  if (host.empty()) return SockAddr::ipv4(INADDR_ANY, *port);
  if (auto literal = parse_ip_literal(host)) {
    literal->set_port(*port);
    return *literal;
  }
  if (host.find_first_not_of("0123456789.") == std::string_view::npos)
    throw AddressError("bad address " + in_quotes(spec));
  return resolve_name(std::string(host), *port, spec);
}

std::vector<SockAddr> parse_bind_spec(std::string_view spec) {
  if (spec.empty()) throw AddressError("empty --bind address");
  std::vector<SockAddr> out;
  for (std::size_t start = 0;;) {
    const auto comma = spec.find(',', start);
    add_item(out, spec.substr(start, comma == std::string_view::npos ? comma : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace connperf::net

namespace connperf::net {

Cidr parse_cidr(std::string_view spec) {
  const auto slash = spec.find('/');
  if (slash == std::string_view::npos) {
    Cidr c;
    c.base = literal_or_throw(spec, spec);
    c.prefix = c.base.family() == AF_INET ? 32 : 128;
    return c;
  }
  return split_cidr(spec, slash);
}

namespace {
// The address bytes of a; an IPv4-mapped IPv6 address (::ffff:a.b.c.d) as IPv4.
std::string_view address_bytes(const SockAddr& a, int& family) {
  family = a.family();
  if (family == AF_INET) {
    const auto* p = &reinterpret_cast<const sockaddr_in*>(&a.storage)->sin_addr;
    return {reinterpret_cast<const char*>(p), 4};
  }
  const auto* b = reinterpret_cast<const sockaddr_in6*>(&a.storage)->sin6_addr.s6_addr;
  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(b, kMapped, 12) == 0) {
    family = AF_INET;
    return {reinterpret_cast<const char*>(b + 12), 4};
  }
  return {reinterpret_cast<const char*>(b), 16};
}
}  // namespace

bool Cidr::contains(const SockAddr& addr) const noexcept {
  int fa = 0, fb = 0;
  const std::string_view a = address_bytes(addr, fa);
  const std::string_view b = address_bytes(base, fb);
  if (fa != fb || fa == AF_UNSPEC) return false;
  const unsigned whole = prefix / 8, rest = prefix % 8;
  if (std::memcmp(a.data(), b.data(), whole) != 0) return false;
  if (rest == 0) return true;
  const auto mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (static_cast<unsigned char>(a[whole]) & mask) == (static_cast<unsigned char>(b[whole]) & mask);
}

std::string Cidr::to_string() const {
  return base.host_string() + "/" + std::to_string(prefix);
}

std::vector<SockAddr> resolve_host(const std::string& host, std::uint16_t port) {
  if (auto lit = parse_ip_literal(host)) {
    lit->set_port(port);
    return {*lit};
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0) throw AddressError("cannot resolve " + in_quotes(host) + ": " + gai_strerror(rc));
  std::vector<SockAddr> v4, v6;
  for (const addrinfo* ai = res; ai; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    SockAddr a = SockAddr::from(ai->ai_addr, ai->ai_addrlen);
    a.set_port(port);
    auto& list = ai->ai_family == AF_INET ? v4 : v6;
    if (std::find(list.begin(), list.end(), a) == list.end()) list.push_back(a);
  }
  ::freeaddrinfo(res);
  if (v4.empty() && v6.empty()) throw AddressError("no IPv4 or IPv6 address for " + in_quotes(host));
  v4.insert(v4.end(), v6.begin(), v6.end());
  return v4;
}

}  // namespace connperf::net
