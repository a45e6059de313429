// The live stats endpoint of `server --stats-listen` and `proxy --stats-listen`: a small HTTP/1.1
// server on an event loop of its own thread, beside the measured workers, so serving it never
// touches a measured listener's loop or counters. Read-only (GET and HEAD only), bounded: request
// heads up to kMaxRequest bytes, kMaxClients connections at once (accepting pauses beyond),
// kTimeoutNs per connection, one response per connection. open/start/stop from the command's
// thread; the pages function runs on the endpoint's thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "loop/acceptor.h"
#include "loop/event_loop.h"
#include "net/address.h"
#include "net/socket.h"

namespace connperf::server {

struct Page {
  std::string content_type;
  std::string body;
};
// The page at a path ("/metrics"); nullopt answers 404.
using Pages = std::function<std::optional<Page>(std::string_view path)>;

// The response bytes for one request head (the bytes up to and including the empty line).
std::string stats_response(std::string_view head, const Pages& pages);

class StatsEndpoint final : loop::Handler {
 public:
  static constexpr std::size_t kMaxRequest = 4096;
  static constexpr std::size_t kMaxClients = 16;
  static constexpr std::uint64_t kTimeoutNs = 5'000'000'000;

  StatsEndpoint(const net::SockAddr& addr, Pages pages);  // binds now; throws loop::ListenError
  ~StatsEndpoint();
  StatsEndpoint(const StatsEndpoint&) = delete;
  StatsEndpoint& operator=(const StatsEndpoint&) = delete;

  const net::SockAddr& address() const noexcept { return bound_; }
  void start();
  void stop() noexcept;  // and join

 private:
  struct Client {
    net::Fd fd;
    std::string in;
    std::string out;
    std::size_t sent = 0;
    std::uint64_t deadline = 0;
    std::uint32_t gen = 0;
  };

  void on_io(loop::Token token, std::uint32_t events) override;
  void on_deadline(std::uint64_t now) override;
  void on_wake() override;

  std::uint64_t adopt(int fd);
  void read_request(Client& c, std::uint32_t slot);
  void write_response(Client& c, std::uint32_t slot);
  void close(Client& c);
  void arm_deadline();

  Pages pages_;
  net::SockAddr bound_;
  loop::EventLoop loop_;
  loop::Acceptor acceptor_;
  std::array<Client, kMaxClients> clients_;
  std::uint64_t open_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace connperf::server
