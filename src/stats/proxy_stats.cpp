#include "stats/proxy_stats.h"

namespace connperf::stats {

namespace {
constexpr std::string_view kNames[] = {"accepted",
                                       "denied",
                                       "closed",
                                       "requests",
                                       "responses",
                                       "tunnels",
                                       "bytes_up",
                                       "bytes_down",
                                       "upstream_connects",
                                       "upstream_reused",
                                       "client_resets",
                                       "upstream_resets",
                                       "400",
                                       "403",
                                       "405",
                                       "414",
                                       "431",
                                       "501",
                                       "502",
                                       "504"};
static_assert(std::size(kNames) == kProxyCounts);
static_assert(std::size(kProxyStatuses) == kProxyCounts - kFirstStatus);
}  // namespace

std::string_view proxy_count_name(std::size_t index) noexcept { return kNames[index]; }

ProxyCount proxy_status_count(int status) noexcept {
  for (std::size_t i = 0; i < std::size(kProxyStatuses); ++i)
    if (kProxyStatuses[i] == status) return static_cast<ProxyCount>(kFirstStatus + i);
  return ProxyCount::S502;
}

std::uint64_t ProxySnapshot::error_replies() const noexcept {
  std::uint64_t n = 0;
  for (std::size_t i = kFirstStatus; i < kProxyCounts; ++i) n += v[i];
  return n;
}

ProxySnapshot& ProxySnapshot::operator+=(const ProxySnapshot& o) noexcept {
  for (std::size_t i = 0; i < kProxyCounts; ++i) v[i] += o.v[i];
  return *this;
}

ProxySnapshot& ProxySnapshot::operator-=(const ProxySnapshot& earlier) noexcept {
  for (std::size_t i = 0; i < kProxyCounts; ++i) v[i] = counter_delta(v[i], earlier.v[i]);
  return *this;
}

void ProxyStats::snapshot(ProxySnapshot& out) const noexcept {
  // Closed before accepted: a reader never sees more closes than accepts.
  out.v[static_cast<std::size_t>(ProxyCount::Closed)] =
      c[static_cast<std::size_t>(ProxyCount::Closed)].get();
  for (std::size_t i = 0; i < kProxyCounts; ++i)
    if (i != static_cast<std::size_t>(ProxyCount::Closed)) out.v[i] = c[i].get();
}

}  // namespace connperf::stats
