// A NETLINK_NETFILTER socket made inside a network namespace, and the dumps read over it
// (conntrack's table and statistics, nftables' objects and tables): requests built and replies
// parsed here without the NLMSG_*/NFA_* macros (they expand to C-style casts). A socket is used
// by one thread at a time; the parsers are pure.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "net/socket.h"

namespace connperf::lab {

using Bytes = std::span<const std::uint8_t>;

// One netlink attribute: its type (the nested and byte-order flags cleared) and payload.
struct Attr {
  std::uint16_t type = 0;
  Bytes data;
};

// The attributes packed in `bytes`, in order; a malformed tail ends the list.
std::vector<Attr> attrs_of(Bytes bytes);
// The payload of the first attribute of `type` in `bytes`; empty when there is none.
Bytes find_attr(Bytes bytes, std::uint16_t type);
// A big-endian number of 1, 2, 4 or 8 bytes (netfilter's byte order); 0 for any other size.
std::uint64_t be_number(Bytes data) noexcept;
// A string attribute, without its terminating NUL.
std::string attr_string(Bytes data);

// Appends an attribute (padded to 4 bytes) to `out`; a string goes with its NUL.
void put_attr(std::vector<std::uint8_t>& out, std::uint16_t type, Bytes data);
void put_attr(std::vector<std::uint8_t>& out, std::uint16_t type, std::string_view text);
void put_be32(std::vector<std::uint8_t>& out, std::uint16_t type, std::uint32_t value);

// One netfilter message: its type (nfnetlink subsystem << 8 | message), the nfgenmsg header's
// family and res_id (host order), and its attributes.
struct NfMessage {
  std::uint16_t type = 0;
  std::uint8_t family = 0;
  std::uint16_t res_id = 0;
  Bytes attrs;
};

// A whole netlink message (nlmsghdr, nfgenmsg, attributes) framed as the kernel frames it: the
// requests, and the replies tests feed to read_messages.
std::vector<std::uint8_t> nf_message(const NfMessage& m, std::uint16_t flags, std::uint32_t seq);
// The messages of one datagram: each netfilter message of dump `seq` goes to `each`. True at
// NLMSG_DONE; throws LabError on NLMSG_ERROR or a malformed message.
bool read_messages(Bytes datagram, std::uint32_t seq,
                   const std::function<void(const NfMessage&)>& each);

class NetfilterSocket {
 public:
  // Opens the socket inside /run/netns/NETNS: a helper thread enters the namespace and makes it;
  // the socket stays there while this thread stays where it is. Throws LabError.
  static NetfilterSocket open_in(const std::string& netns);
  // Dumps message `type` of `family` (request attributes `filter`): every reply to `each`.
  // Throws LabError when the kernel refuses, or nothing arrives within two seconds.
  void dump(std::uint16_t type, std::uint8_t family, Bytes filter,
            const std::function<void(const NfMessage&)>& each);

 private:
  explicit NetfilterSocket(net::Fd fd) : fd_(std::move(fd)) {}
  net::Fd fd_;
  std::uint32_t seq_ = 0;
  std::vector<std::uint8_t> buf_;
};

}  // namespace connperf::lab
