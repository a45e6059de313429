#include "diag/tcp_mib.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "stats/format.h"

namespace connperf::diag {

namespace {

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

std::optional<std::size_t> index_of(std::string_view name) {
  for (std::size_t i = 0; i < kTcpMibNames.size(); ++i)
    if (name == kTcpMibNames[i]) return i;
  return std::nullopt;
}

std::size_t take_table(const std::vector<std::string_view>& names,
                       const std::vector<std::string_view>& values, TcpMib& into) {
  std::size_t found = 0;
  for (std::size_t i = 1; i < std::min(names.size(), values.size()); ++i) {
    const auto at = index_of(names[i]);
    if (!at) continue;
    // RFC 4022 counters are unsigned, but the kernel prints some (e.g. MaxConn) signed.
    std::int64_t value = 0;
    const auto [end, ec] =
        std::from_chars(values[i].data(), values[i].data() + values[i].size(), value);
    if (ec != std::errc{} || end != values[i].data() + values[i].size()) continue;
    into.v[*at] = static_cast<std::uint64_t>(value);
    ++found;
  }
  return found;
}

std::string read_all(const char* path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return in ? s.str() : std::string();
}

std::string count(std::uint64_t n) { return stats::format_count(n); }

}  // namespace

TcpMib TcpMib::operator-(const TcpMib& earlier) const noexcept {
  TcpMib d;
  for (std::size_t i = 0; i < v.size(); ++i)
    d.v[i] = v[i] >= earlier.v[i] ? v[i] - earlier.v[i] : 0;
  return d;
}

std::size_t parse_tcp_mib(std::string_view text, TcpMib& into) {
  std::size_t found = 0;
  std::vector<std::string_view> header;
  while (!text.empty()) {
    const std::size_t nl = std::min(text.find('\n'), text.size());
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(std::min(nl + 1, text.size()));
    std::vector<std::string_view> w = words(line);
    if (w.empty() || (w[0] != "Tcp:" && w[0] != "TcpExt:")) {
      header.clear();
      continue;
    }
    if (!header.empty() && header[0] == w[0]) {  // the values under the header
      found += take_table(header, w, into);
      header.clear();
    } else {
      header = std::move(w);
    }
  }
  return found;
}

std::optional<TcpMib> read_tcp_mib() {
  TcpMib m;
  std::size_t found = parse_tcp_mib(read_all("/proc/thread-self/net/snmp"), m);
  found += parse_tcp_mib(read_all("/proc/thread-self/net/netstat"), m);
  if (found == 0) return std::nullopt;
  return m;
}

nlohmann::json tcp_mib_json(const TcpMib& delta) {
  nlohmann::json j = nlohmann::json::object();
  for (std::size_t i = 0; i < kTcpMibNames.size(); ++i) j[kTcpMibNames[i]] = delta.v[i];
  return j;
}

std::string tcp_mib_moved(const TcpMib& delta) {
  std::string out;
  for (std::size_t i = 0; i < kTcpMibNames.size(); ++i) {
    const auto k = static_cast<TcpMibKey>(i);
    if (delta.v[i] == 0 || k == TcpMibKey::ActiveOpens || k == TcpMibKey::PassiveOpens ||
        k == TcpMibKey::OutRsts || k == TcpMibKey::EstabResets || k == TcpMibKey::TCPAbortOnData)
      continue;
    out += fmt::format("{}{} +{}", out.empty() ? "" : " ", kTcpMibNames[i], delta.v[i]);
  }
  return out;
}

std::string tcp_mib_text(const TcpMib& delta) {
  std::string out = "\nkernel TCP counters (this network namespace, over the run)\n";
  for (std::size_t i = 0; i < kTcpMibNames.size(); ++i)
    out += fmt::format("  {:<16} {:>12}\n", kTcpMibNames[i], "+" + count(delta.v[i]));
  return out;
}

std::optional<std::string> likely_limiter(const TcpMib& d) {
  using K = TcpMibKey;
  auto said = [&d](K k, const char* why) {
    return fmt::format("{} +{}: {}", kTcpMibNames[static_cast<std::size_t>(k)], count(d[k]), why);
  };
  if (d[K::ListenOverflows] > 0)
    return said(K::ListenOverflows,
                "the server's accept queue overflowed — raise --backlog / net.core.somaxconn, "
                "or the server is not accepting fast enough");
  if (d[K::ListenDrops] > 0)
    return said(K::ListenDrops,
                "SYNs were dropped at a listener (SYN queue full) — raise "
                "net.ipv4.tcp_max_syn_backlog");
  if (d[K::TCPSynRetrans] > 0)
    return said(K::TCPSynRetrans,
                "SYNs went unanswered and were sent again — something between client and server "
                "drops SYNs or SYN-ACKs (a device, a rate limit, a full SYN queue)");
  if (d[K::AttemptFails] > 0)
    return said(K::AttemptFails,
                "connection attempts failed before they were established (refused: nothing "
                "listening, or reset by the peer or a device)");
  if (d[K::TCPTimeouts] > 0 || d[K::RetransSegs] > 0)
    return said(d[K::TCPTimeouts] > 0 ? K::TCPTimeouts : K::RetransSegs,
                "segments were lost and retransmitted — the path drops packets");
  return std::nullopt;  // TCPAbortOnData counts every SO_LINGER 0 close (--close rst): no sign
}

}  // namespace connperf::diag
