#include "lab/netlink.h"

#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "lab/lab.h"

namespace connperf::lab {

namespace {

constexpr std::size_t align4(std::size_t n) noexcept { return (n + 3) & ~std::size_t{3}; }
constexpr std::size_t kNlHdr = align4(sizeof(nlmsghdr));
constexpr std::size_t kNfHdr = align4(sizeof(nfgenmsg));
constexpr std::size_t kAttrHdr = align4(sizeof(nlattr));
// Larger than any dump datagram: the kernel fills dump skbs of up to 32 KiB.
constexpr std::size_t kRecvBuf = 64 * 1024;

template <typename T>
T read_as(Bytes at) noexcept {
  T v;
  std::memcpy(&v, at.data(), sizeof v);
  return v;
}

template <typename T>
void append(std::vector<std::uint8_t>& out, const T& v) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(&v);
  out.insert(out.end(), p, p + sizeof v);
}

[[noreturn]] void fail(const std::string& what, int err) {
  throw LabError("netfilter netlink: " + what + ": " + net::errno_text(err));
}

}  // namespace

std::vector<Attr> attrs_of(Bytes bytes) {
  std::vector<Attr> out;
  while (bytes.size() >= sizeof(nlattr)) {
    const auto a = read_as<nlattr>(bytes);
    if (a.nla_len < sizeof(nlattr) || a.nla_len > bytes.size()) break;
    out.push_back({static_cast<std::uint16_t>(a.nla_type & NLA_TYPE_MASK),
                   bytes.subspan(kAttrHdr, a.nla_len - kAttrHdr)});
    bytes = bytes.subspan(std::min(bytes.size(), align4(a.nla_len)));
  }
  return out;
}

Bytes find_attr(Bytes bytes, std::uint16_t type) {
  for (const Attr& a : attrs_of(bytes))
    if (a.type == type) return a.data;
  return {};
}

std::uint64_t be_number(Bytes data) noexcept {
  if (data.size() != 1 && data.size() != 2 && data.size() != 4 && data.size() != 8) return 0;
  std::uint64_t v = 0;
  for (const std::uint8_t b : data) v = (v << 8) | b;
  return v;
}

std::string attr_string(Bytes data) {
  std::string s(data.begin(), data.end());
  return s.substr(0, s.find('\0'));
}

void put_attr(std::vector<std::uint8_t>& out, std::uint16_t type, Bytes data) {
  append(out, nlattr{static_cast<std::uint16_t>(kAttrHdr + data.size()), type});
  out.insert(out.end(), data.begin(), data.end());
  out.resize(align4(out.size()));
}

void put_attr(std::vector<std::uint8_t>& out, std::uint16_t type, std::string_view text) {
  std::vector<std::uint8_t> bytes(text.begin(), text.end());
  bytes.push_back(0);
  put_attr(out, type, bytes);
}

void put_be32(std::vector<std::uint8_t>& out, std::uint16_t type, std::uint32_t value) {
  const std::uint8_t bytes[4] = {static_cast<std::uint8_t>(value >> 24),
                                 static_cast<std::uint8_t>(value >> 16),
                                 static_cast<std::uint8_t>(value >> 8),
                                 static_cast<std::uint8_t>(value)};
  put_attr(out, type, bytes);
}

std::vector<std::uint8_t> nf_message(const NfMessage& m, std::uint16_t flags, std::uint32_t seq) {
  std::vector<std::uint8_t> out;
  append(out, nlmsghdr{static_cast<std::uint32_t>(kNlHdr + kNfHdr + m.attrs.size()), m.type,
                       flags, seq, 0});
  out.resize(kNlHdr);
  append(out, nfgenmsg{m.family, NFNETLINK_V0, htons(m.res_id)});
  out.resize(kNlHdr + kNfHdr);
  out.insert(out.end(), m.attrs.begin(), m.attrs.end());
  return out;
}

bool read_messages(Bytes datagram, std::uint32_t seq,
                   const std::function<void(const NfMessage&)>& each) {
  while (datagram.size() >= sizeof(nlmsghdr)) {
    const auto h = read_as<nlmsghdr>(datagram);
    if (h.nlmsg_len < kNlHdr || h.nlmsg_len > datagram.size())
      throw LabError("netfilter netlink: a malformed reply");
    const Bytes payload = datagram.subspan(kNlHdr, h.nlmsg_len - kNlHdr);
    datagram = datagram.subspan(std::min(datagram.size(), align4(h.nlmsg_len)));
    if (h.nlmsg_seq != seq) continue;  // not of this dump
    if (h.nlmsg_type == NLMSG_DONE) return true;
    if (h.nlmsg_type == NLMSG_ERROR) {
      const int err = payload.size() >= sizeof(nlmsgerr) ? read_as<nlmsgerr>(payload).error : 0;
      if (err != 0) fail("the dump was refused", -err);
      continue;  // an acknowledgement
    }
    if (payload.size() < kNfHdr) continue;
    const auto g = read_as<nfgenmsg>(payload);
    each({h.nlmsg_type, g.nfgen_family, ntohs(g.res_id), payload.subspan(kNfHdr)});
  }
  return false;
}

NetfilterSocket NetfilterSocket::open_in(const std::string& netns) {
  int fd = -1, err = 0;
  std::string step = "entering " + netns;
  std::thread helper([&] {  // setns moves only this thread; the socket keeps its namespace
    const net::Result r = net::enter_netns(netns);
    if (!r.ok()) {
      err = r.sys_errno;
      return;
    }
    step = "socket in " + netns;
    fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
    if (fd < 0) err = errno;
  });
  helper.join();
  if (fd < 0) fail(step, err);
  const timeval two_s{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &two_s, sizeof two_s);
  return NetfilterSocket(net::Fd(fd));
}

void NetfilterSocket::dump(std::uint16_t type, std::uint8_t family, Bytes filter,
                           const std::function<void(const NfMessage&)>& each) {
  const std::uint32_t seq = ++seq_;
  const auto request = nf_message({type, family, 0, filter}, NLM_F_REQUEST | NLM_F_DUMP, seq);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd_.get(), request.data(), request.size(), 0,
               reinterpret_cast<const sockaddr*>(&kernel), sizeof kernel) < 0)
    fail("send", errno);
  buf_.resize(kRecvBuf);
  for (bool done = false; !done;) {
    const ssize_t got = ::recv(fd_.get(), buf_.data(), buf_.size(), MSG_TRUNC);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) fail("receive", errno);
    if (static_cast<std::size_t>(got) > buf_.size()) fail("receive", EMSGSIZE);
    done = read_messages(Bytes(buf_.data(), static_cast<std::size_t>(got)), seq, each);
  }
}

}  // namespace connperf::lab
