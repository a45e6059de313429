#include "proxy/proxy.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "loop/acceptor.h"
#include "loop/worker_pool_impl.h"
#include "proxy/resolver.h"
#include "proxy/worker.h"

namespace connperf::proxy {

namespace {
constexpr std::uint64_t kFdsPerConnection = 6;
constexpr std::uint64_t kFdsOwn = 100;
}  // namespace

std::uint64_t fds_needed(std::uint64_t max_connections, unsigned threads) noexcept {
  return max_connections * kFdsPerConnection + kPoolMax * threads + kFdsOwn;
}

std::uint64_t connections_that_fit(long fd_limit, unsigned threads) noexcept {
  const std::uint64_t reserved = kPoolMax * threads + kFdsOwn;
  const auto limit = static_cast<std::uint64_t>(std::max(0L, fd_limit));
  return std::max<std::uint64_t>(16, limit > reserved ? (limit - reserved) / kFdsPerConnection : 0);
}

PortSet PortSet::parse(std::string_view spec) {
  PortSet set;
  auto number = [spec](std::string_view t) {
    unsigned v = 0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || ec != std::errc{} || end != t.data() + t.size() || v == 0 || v > 65535)
      throw std::invalid_argument(fmt::format("bad port '{}' in '{}' (1-65535)", t, spec));
    return static_cast<std::uint16_t>(v);
  };
  for (std::size_t pos = 0; pos <= spec.size();) {
    const std::size_t comma = std::min(spec.find(',', pos), spec.size());
    const std::string_view item = spec.substr(pos, comma - pos);
    const std::size_t dash = item.find('-');
    const std::uint16_t lo = number(item.substr(0, dash));
    const std::uint16_t hi = dash == std::string_view::npos ? lo : number(item.substr(dash + 1));
    if (hi < lo) throw std::invalid_argument(fmt::format("range '{}' runs backwards", item));
    set.ranges_.emplace_back(lo, hi);
    pos = comma + 1;
  }
  return set;
}

bool PortSet::contains(std::uint16_t port) const noexcept {
  for (const auto& [lo, hi] : ranges_)
    if (port >= lo && port <= hi) return true;
  return false;
}

std::string PortSet::to_string() const {
  std::string s;
  for (const auto& [lo, hi] : ranges_) {
    if (!s.empty()) s += ',';
    s += lo == hi ? std::to_string(lo) : fmt::format("{}-{}", lo, hi);
  }
  return s;
}

}  // namespace connperf::proxy

template class connperf::loop::WorkerPool<connperf::proxy::ProxyWorker>;

namespace connperf::proxy {

Proxy::Proxy(ProxySpec spec) : spec_(std::move(spec)) {
  spec_.threads = std::max(1u, spec_.threads);
  resolver_ = std::make_unique<Resolver>(std::max(1u, spec_.resolver_threads));
  for (unsigned i = 0; i < spec_.threads; ++i) pool_.add(std::make_unique<ProxyWorker>(*this, i));
  pool_.pin(spec_.cpus);
}

Proxy::~Proxy() {
  stop();
  join();
  resolver_.reset();  // before the workers: its threads answer into their inboxes
}

void Proxy::open() {
  bound_ = loop::open_listeners(spec_.listen, spec_.backlog, pool_.size(),
                                [this](std::size_t i, net::Fd fd) {
                                  pool_.worker(i).add_listener(std::move(fd));
                                });
}

void Proxy::start() { pool_.start(); }
void Proxy::stop() noexcept { pool_.stop(); }
void Proxy::join() { pool_.join(); }

void Proxy::snapshot(stats::ProxySnapshot& out) const {
  out = pool_.sum<stats::ProxySnapshot>([](const ProxyWorker& w) {
    stats::ProxySnapshot one;
    w.stats().snapshot(one);
    return one;
  });
}

}  // namespace connperf::proxy
