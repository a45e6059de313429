// Endpoint and --bind parsing.
#include <gtest/gtest.h>

#include "net/address.h"

namespace connperf::net {
namespace {

TEST(AddressEndpoint, Literals) {
  EXPECT_EQ(resolve_endpoint("127.0.0.1:80").to_string(), "127.0.0.1:80");
  EXPECT_EQ(resolve_endpoint("[::1]:8080").to_string(), "[::1]:8080");
  EXPECT_EQ(resolve_endpoint("[::1]:8080").family(), AF_INET6);
  EXPECT_EQ(resolve_endpoint(":8888").to_string(), "0.0.0.0:8888");
  EXPECT_EQ(resolve_endpoint("10.1.2.3", 443).to_string(), "10.1.2.3:443");
  EXPECT_EQ(resolve_endpoint("::1", 443).to_string(), "[::1]:443");
  EXPECT_EQ(resolve_endpoint("127.0.0.1:0").port(), 0);
  EXPECT_EQ(resolve_endpoint("127.0.0.1:65535").port(), 65535);
}

TEST(AddressEndpoint, Names) {
  const SockAddr a = resolve_endpoint("localhost:80");
  EXPECT_TRUE(a.is_loopback());
  EXPECT_EQ(a.port(), 80);
  EXPECT_THROW(resolve_endpoint("no-such-host.invalid:80"), AddressError);
}

TEST(AddressEndpoint, Errors) {
  for (const char* bad : {"127.0.0.1", "127.0.0.1:", "127.0.0.1:abc", "127.0.0.1:65536",
                          "127.0.0.1:-1", "::1:80", "[::1", "[::1]x", "1.2.3:80", "1.2.3.4.5:80",
                          "", ":"})
    EXPECT_THROW(resolve_endpoint(bad), AddressError) << bad;
  try {
    resolve_endpoint("127.0.0.1:99999");
  } catch (const AddressError& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:99999"), std::string::npos);
  }
}

TEST(AddressValue, EqualityLoopbackAndPort) {
  SockAddr a = resolve_endpoint("127.0.0.1:80");
  SockAddr b = SockAddr::ipv4(0x7f000001, 80);
  EXPECT_EQ(a, b);
  b.set_port(81);
  EXPECT_FALSE(a == b);
  EXPECT_TRUE(resolve_endpoint("127.9.8.7:1").is_loopback());
  EXPECT_FALSE(resolve_endpoint("10.0.0.1:1").is_loopback());
  EXPECT_TRUE(resolve_endpoint("[::1]:1").is_loopback());
  EXPECT_EQ(SockAddr::from(a.get(), a.len), a);
  EXPECT_EQ(SockAddr{}.family(), AF_UNSPEC);
}

std::vector<std::string> hosts(const std::vector<SockAddr>& v) {
  std::vector<std::string> out;
  for (const auto& a : v) out.push_back(a.host_string());
  return out;
}

TEST(AddressBind, SinglesRangesAndLists) {
  EXPECT_EQ(hosts(parse_bind_spec("127.0.0.2")), std::vector<std::string>{"127.0.0.2"});
  EXPECT_EQ(hosts(parse_bind_spec("127.0.0.2-127.0.0.5")),
            (std::vector<std::string>{"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"}));
  EXPECT_EQ(hosts(parse_bind_spec("10.0.0.255-10.0.1.0")),
            (std::vector<std::string>{"10.0.0.255", "10.0.1.0"}));
  EXPECT_EQ(hosts(parse_bind_spec("127.0.0.2,127.0.0.9-127.0.0.10")),
            (std::vector<std::string>{"127.0.0.2", "127.0.0.9", "127.0.0.10"}));
  EXPECT_EQ(hosts(parse_bind_spec("fd00::1-fd00::4")),
            (std::vector<std::string>{"fd00::1", "fd00::2", "fd00::3", "fd00::4"}));
  EXPECT_EQ(hosts(parse_bind_spec("[::1]")), std::vector<std::string>{"::1"});
  for (const auto& a : parse_bind_spec("127.0.0.2-127.0.0.3")) EXPECT_EQ(a.port(), 0);
}

TEST(AddressBind, Cidr) {
  EXPECT_EQ(hosts(parse_bind_spec("10.0.0.0/30")),
            (std::vector<std::string>{"10.0.0.1", "10.0.0.2"}));
  EXPECT_EQ(hosts(parse_bind_spec("10.0.0.7/32")), std::vector<std::string>{"10.0.0.7"});
  EXPECT_EQ(hosts(parse_bind_spec("10.0.0.6/31")),
            (std::vector<std::string>{"10.0.0.6", "10.0.0.7"}));
  EXPECT_EQ(parse_bind_spec("10.0.0.0/24").size(), 254u);
  EXPECT_EQ(hosts(parse_bind_spec("::1/128")), std::vector<std::string>{"::1"});
  EXPECT_EQ(parse_bind_spec("fd00::/120").size(), 256u);
  EXPECT_EQ(parse_bind_spec("10.0.0.0/16").size(), 65534u);
}

TEST(AddressBind, Errors) {
  for (const char* bad : {"", "127.0.0.5-127.0.0.2", "127.0.0.1-::1", "10.0.0.0/8",
                          "10.0.0.0/33", "10.0.0.0/", "nonsense", "127.0.0.1,", ",127.0.0.1",
                          "localhost", "fd00::1-fd01::1", "127.0.0.1:80"})
    EXPECT_THROW(parse_bind_spec(bad), AddressError) << bad;
  EXPECT_THROW(parse_bind_spec("10.0.0.0/16,10.1.0.0/29"), AddressError);
}

// --allow prefixes.
TEST(Policy, CidrMatchesPrefixesAndMappedAddresses) {
  const net::Cidr lo = net::parse_cidr("127.0.0.0/8");
  auto addr = [](const char* s) { return *net::parse_ip_literal(s); };
  EXPECT_TRUE(lo.contains(addr("127.1.2.3")));
  EXPECT_FALSE(lo.contains(addr("128.0.0.1")));
  EXPECT_TRUE(lo.contains(addr("::ffff:127.0.0.1")));
  EXPECT_FALSE(lo.contains(addr("::1")));
  EXPECT_TRUE(net::parse_cidr("::1/128").contains(addr("::1")));
  EXPECT_TRUE(net::parse_cidr("10.1.2.3").contains(addr("10.1.2.3")));
  EXPECT_FALSE(net::parse_cidr("10.1.2.3").contains(addr("10.1.2.4")));
  EXPECT_TRUE(net::parse_cidr("10.1.2.128/25").contains(addr("10.1.2.200")));
  EXPECT_FALSE(net::parse_cidr("10.1.2.128/25").contains(addr("10.1.2.100")));
  EXPECT_TRUE(net::parse_cidr("0.0.0.0/0").contains(addr("1.2.3.4")));
  EXPECT_THROW(net::parse_cidr("127.0.0.0/33"), net::AddressError);
  EXPECT_THROW(net::parse_cidr("nonsense/8"), net::AddressError);
  EXPECT_EQ(lo.to_string(), "127.0.0.0/8");
}

}  // namespace
}  // namespace connperf::net
