// count_tcp_states: one SOCK_DIAG_BY_FAMILY dump per address family, parsed without the
// NLMSG_* macros (they expand to C-style casts), filtered and tallied in user space.
#include "diag/sock_diag.h"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <numeric>
#include <system_error>
#include <utility>
#include <vector>

namespace connperf::diag {
namespace {

[[noreturn]] void throw_errno(int err, const char* what) {
  throw std::system_error(err, std::system_category(), what);
}

// Closes the netlink socket on every exit path, including exceptions mid-dump.
struct Fd {
  int fd;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { ::close(fd); }
};

constexpr std::size_t nl_align(std::size_t len) noexcept {
  return (len + NLMSG_ALIGNTO - 1) & ~static_cast<std::size_t>(NLMSG_ALIGNTO - 1);
}
constexpr std::size_t kHdrLen = nl_align(sizeof(nlmsghdr));

// Large enough for many inet_diag_msg records per datagram; the kernel sizes dump skbs
// up to ~32 KiB, and a smaller buffer would truncate (MSG_TRUNC) and lose sockets.
constexpr std::size_t kRecvBuf = 64 * 1024;

bool port_matches(const StateFilter& f, std::uint16_t local, std::uint16_t remote) noexcept {
  if (f.port && *f.port != local && *f.port != remote) return false;
  if (f.local_port && *f.local_port != local) return false;
  if (f.remote_port && *f.remote_port != remote) return false;
  return true;
}

void send_request(int fd, std::uint8_t family, std::uint32_t seq) {
  struct {
    nlmsghdr nlh;
    inet_diag_req_v2 req;
  } msg{};
  msg.nlh.nlmsg_len = sizeof(msg);
  msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  msg.nlh.nlmsg_seq = seq;
  msg.req.sdiag_family = family;
  msg.req.sdiag_protocol = IPPROTO_TCP;
  msg.req.idiag_states = ~0U;  // every state, including TIME_WAIT and NEW_SYN_RECV minisockets

  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  for (;;) {
    const ssize_t n = ::sendto(fd, &msg, sizeof(msg), 0, reinterpret_cast<const sockaddr*>(&kernel),
                               sizeof(kernel));
    if (n >= 0) return;
    if (errno != EINTR) throw_errno(errno, "sock_diag sendto");
  }
}

// Reads datagrams until NLMSG_DONE; a dump spans many multipart datagrams.
void read_dump(int fd, std::uint32_t seq, const StateFilter& filter, StateCounts& out) {
  std::vector<std::uint8_t> buf(kRecvBuf);  // operator new alignment suits nlmsghdr
  for (;;) {
    // MSG_TRUNC makes recv report the full datagram size, so a cut-off reply is detected.
    const ssize_t got = ::recv(fd, buf.data(), buf.size(), MSG_TRUNC);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw_errno(errno, "sock_diag recv");
    }
    const auto len = static_cast<std::size_t>(got);
    if (len > buf.size()) throw_errno(EMSGSIZE, "sock_diag reply truncated");
    std::size_t off = 0;
    while (off + sizeof(nlmsghdr) <= len) {
      const auto* h = reinterpret_cast<const nlmsghdr*>(buf.data() + off);
      if (h->nlmsg_len < sizeof(nlmsghdr) || h->nlmsg_len > len - off)
        throw_errno(EBADMSG, "sock_diag malformed reply");
      const std::uint8_t* payload = buf.data() + off + kHdrLen;
      const std::size_t payload_len = h->nlmsg_len >= kHdrLen ? h->nlmsg_len - kHdrLen : 0;
      off += nl_align(h->nlmsg_len);
      // Only our own dump; the socket is private, but stray messages must not be counted.
      if (h->nlmsg_seq != seq) continue;
      if (h->nlmsg_type == NLMSG_DONE) return;
      if (h->nlmsg_type == NLMSG_ERROR) {
        if (payload_len < sizeof(nlmsgerr)) throw_errno(EBADMSG, "sock_diag truncated error");
        const int err = reinterpret_cast<const nlmsgerr*>(payload)->error;
        if (err == 0) continue;  // an ACK, not a failure
        throw_errno(-err, "sock_diag dump");
      }
      if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || payload_len < sizeof(inet_diag_msg)) continue;
      const auto* m = reinterpret_cast<const inet_diag_msg*>(payload);
      // Ports arrive in network byte order.
      if (!port_matches(filter, ntohs(m->id.idiag_sport), ntohs(m->id.idiag_dport))) continue;
      std::size_t state = m->idiag_state;
      if (state == static_cast<std::size_t>(TcpState::NewSynRecv))
        state = static_cast<std::size_t>(TcpState::SynRecv);  // ss reports these as SYN-RECV
      if (state < kTcpStates) ++out.by_state[state];
    }
  }
}

}  // namespace

const char* to_string(TcpState s) noexcept {
  switch (s) {
    case TcpState::Established: return "ESTABLISHED";
    case TcpState::SynSent: return "SYN_SENT";
    case TcpState::SynRecv: return "SYN_RECV";
    case TcpState::FinWait1: return "FIN_WAIT1";
    case TcpState::FinWait2: return "FIN_WAIT2";
    case TcpState::TimeWait: return "TIME_WAIT";
    case TcpState::Close: return "CLOSE";
    case TcpState::CloseWait: return "CLOSE_WAIT";
    case TcpState::LastAck: return "LAST_ACK";
    case TcpState::Listen: return "LISTEN";
    case TcpState::Closing: return "CLOSING";
    case TcpState::NewSynRecv: return "NEW_SYN_RECV";
  }
  return "UNKNOWN";
}

std::uint64_t StateCounts::total() const noexcept {
  return std::accumulate(by_state.begin(), by_state.end(), std::uint64_t{0});
}

StateCounts count_tcp_states(const StateFilter& filter) {
  StateCounts counts;
  if (!filter.ipv4 && !filter.ipv6) return counts;
  const int raw = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (raw < 0) throw_errno(errno, "sock_diag socket");
  const Fd fd(raw);
  // AF_INET6 dumps include dual-stack sockets; AF_INET dumps never do, so no double count.
  std::uint32_t seq = 1;
  const std::pair<int, bool> families[] = {{AF_INET, filter.ipv4}, {AF_INET6, filter.ipv6}};
  for (const auto& [family, wanted] : families) {
    if (!wanted) continue;
    send_request(fd.fd, static_cast<std::uint8_t>(family), seq);
    read_dump(fd.fd, seq, filter, counts);
    ++seq;
  }
  return counts;
}

std::optional<std::uint64_t> time_wait_on_ports(const std::vector<std::uint16_t>& ports,
                                                bool local) {
  try {
    std::uint64_t n = 0;
    for (std::uint16_t p : ports) {
      StateFilter f;
      (local ? f.local_port : f.remote_port) = p;
      n += count_tcp_states(f)[TcpState::TimeWait];
    }
    return n;
  } catch (const std::system_error&) {
    return std::nullopt;
  }
}

}  // namespace connperf::diag
