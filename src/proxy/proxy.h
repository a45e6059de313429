// The engine behind `connperf proxy`: an HTTP/1.1 forward proxy with CONNECT tunnels. N worker
// threads, each with its own epoll loop, SO_REUSEPORT listeners and sessions; names resolve on a
// small thread pool. open/start/stop/snapshot/join are called from the command's thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "loop/worker_pool.h"
#include "net/address.h"
#include "stats/proxy_stats.h"

namespace connperf::proxy {

// Inclusive port ranges; "443", "443,8443", "9000-9100".
class PortSet {
 public:
  static PortSet parse(std::string_view spec);  // throws std::invalid_argument saying why
  bool contains(std::uint16_t port) const noexcept;
  std::string to_string() const;

 private:
  std::vector<std::pair<std::uint16_t, std::uint16_t>> ranges_;
};

struct ProxySpec {
  std::vector<net::SockAddr> listen;
  unsigned threads = 1;
  std::vector<unsigned> cpus;        // --cpus: worker i runs on cpus[i % size]; empty = anywhere
  std::vector<net::Cidr> allow;  // client source addresses served; others get 403
  PortSet connect_ports;
  std::uint64_t max_connections = 4096;  // client connections, over all threads
  std::uint64_t idle_timeout_ns = 60'000'000'000;
  std::uint64_t upstream_timeout_ns = 30'000'000'000;
  std::size_t buffer = 64 * 1024;  // relay buffer per direction per connection
  // Tunnels: kernel socket buffers of both sockets (SO_RCVBUF/SO_SNDBUF); 0 = autotuning.
  std::size_t tunnel_buffer = 2 * 1024 * 1024;
  unsigned resolver_threads = 2;
  int backlog = 4096;
};

// File descriptors the proxy may hold: six per client connection at most (a tunnel: two sockets
// and two pipes) plus the idle upstream pool of every thread, plus a few of its own.
std::uint64_t fds_needed(std::uint64_t max_connections, unsigned threads) noexcept;
// The most client connections whose fds fit in `fd_limit` (at least 16).
std::uint64_t connections_that_fit(long fd_limit, unsigned threads) noexcept;

class ProxyWorker;
class Resolver;
}  // namespace connperf::proxy
extern template class connperf::loop::WorkerPool<connperf::proxy::ProxyWorker>;
namespace connperf::proxy {

class Proxy {
 public:
  explicit Proxy(ProxySpec spec);
  ~Proxy();
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  void open();  // binds every listener (throws loop::ListenError); port 0 becomes real
  const std::vector<net::SockAddr>& addresses() const noexcept { return bound_; }
  void start();
  void stop() noexcept;  // closes every connection at once
  void join();
  void snapshot(stats::ProxySnapshot& out) const;
  const ProxySpec& spec() const noexcept { return spec_; }

 private:
  friend class ProxyWorker;
  ProxySpec spec_;
  std::vector<net::SockAddr> bound_;
  std::unique_ptr<Resolver> resolver_;
  loop::WorkerPool<ProxyWorker> pool_;
};

}  // namespace connperf::proxy
