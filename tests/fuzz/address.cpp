// libFuzzer target: net address parsing: --bind specs (lists, ranges, CIDR), prefixes, IP
// literals and HOST:PORT endpoints. No name is ever looked up: a fuzzer must not send DNS
// queries, so resolve_endpoint only sees specs that cannot name a host.
#include <string>

#include "net/address.h"
#include "split.h"

namespace {

using connperf::fuzz::check;
namespace net = connperf::net;

bool cannot_name_a_host(std::string_view s) {
  return s.find_first_not_of("0123456789.:[]") == std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  try {
    const auto addrs = net::parse_bind_spec(in);
    check(!addrs.empty() && addrs.size() <= net::kMaxBindAddresses, "bind list size");
    for (const auto& a : addrs) {
      check(a.family() == AF_INET || a.family() == AF_INET6, "bind address family");
      check(a.port() == 0, "bind address with a port");
    }
  } catch (const net::AddressError&) {
  }
  try {
    const net::Cidr c = net::parse_cidr(in);
    check(c.contains(c.base), "a prefix does not contain its own base");
    (void)c.to_string();
  } catch (const net::AddressError&) {
  }
  if (const auto lit = net::parse_ip_literal(in)) {
    // An address printed and parsed again is the same address.
    const auto again = net::parse_ip_literal(lit->host_string());
    check(again && *again == *lit, "literal does not round-trip");
  }
  if (cannot_name_a_host(in)) {
    try {
      const net::SockAddr a = net::resolve_endpoint(in, std::uint16_t{80});
      check(a.family() == AF_INET || a.family() == AF_INET6, "endpoint family");
    } catch (const net::AddressError&) {
    }
  }
  return 0;
}
