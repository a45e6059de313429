// The engine behind `connperf server`: N worker threads, each with its own epoll loop and one
// SO_REUSEPORT listener per address, counting per listener how every connection ended
// (DESIGN.md section 3). open/start/stop/snapshot/join are called from the command's thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <stdexcept>
#include <thread>
#include <vector>

#include "net/address.h"
#include "stats/server_stats.h"

namespace connperf::server {

// crr: every chunk is answered "200 Ok."; http: HTTP/1.1 200 per request; echo, upper, stamp:
// every chunk comes back (upper-cased, or after a ctime stamp); discard: nothing comes back.
enum class Mode : std::uint8_t { Crr, Http, Echo, Upper, Stamp, Discard };
const char* to_string(Mode mode) noexcept;
std::optional<Mode> parse_mode(std::string_view name) noexcept;

struct ServerSpec {
  std::vector<net::SockAddr> listen;
  unsigned threads = 1;
  Mode mode = Mode::Http;
  std::uint64_t max_connections = 0;  // in total; 0 = as many as the open-file limit allows
  std::uint64_t idle_timeout_ns = 60'000'000'000;
  int backlog = 4096;
};

// A listen address could not be opened; what() is one line for the user.
class ListenError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ServerWorker;

class Server {
 public:
  explicit Server(ServerSpec spec);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  void open();  // binds every listener (throws ListenError); port 0 becomes a real port
  const std::vector<net::SockAddr>& addresses() const noexcept { return bound_; }
  void start();
  // Graceful end: stop accepting, shut down the write side of every connection once what it is
  // owed is sent, and let the peers close. finished() turns true when none is left.
  void drain() noexcept;
  void stop() noexcept;  // at once: what is still open is closed by the server
  bool finished() const noexcept { return running_.load() == 0; }
  void join();

  void snapshot(std::vector<stats::ListenerSnapshot>& per_listener) const;  // summed over workers
  // Connections accepted per peer address (without port); valid after join().
  std::map<std::string, std::uint64_t> peers() const;

  const ServerSpec& spec() const noexcept { return spec_; }

 private:
  friend class ServerWorker;
  ServerSpec spec_;
  std::vector<net::SockAddr> bound_;
  std::vector<std::unique_ptr<ServerWorker>> workers_;
  std::vector<std::thread> threads_;
  enum Phase : int { kRunning, kDraining, kStopping };
  std::atomic<int> phase_{kRunning};
  std::atomic<unsigned> running_{0};
};

}  // namespace connperf::server
