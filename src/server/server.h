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

#include "loop/acceptor.h"
#include "loop/worker_pool.h"
#include "net/address.h"
#include "net/socket.h"
#include "stats/conn_log.h"
#include "stats/server_stats.h"
#include "tls/tls.h"

namespace connperf::server {

// crr: every chunk is answered "200 Ok."; http: HTTP/1.1 200 per request; echo, upper, stamp:
// every chunk comes back (upper-cased, or after a ctime stamp); discard: nothing comes back.
enum class Mode : std::uint8_t { Crr, Http, Echo, Upper, Stamp, Discard };
// The modes' names, in the enum's order: to_string, parse_mode and the CLI's --mode check.
inline constexpr std::array<std::string_view, 6> kModeNames{"crr",   "http",  "echo",
                                                            "upper", "stamp", "discard"};
static_assert(kModeNames.size() == static_cast<std::size_t>(Mode::Discard) + 1);
const char* to_string(Mode mode) noexcept;
std::optional<Mode> parse_mode(std::string_view name) noexcept;

// How connections are served: epoll reactor threads, or the textbook blocking models.
enum class Model : std::uint8_t { Epoll, Thread, Fork, Iterative };
// The models' names, in the enum's order: to_string, parse_model and the CLI's --model check.
inline constexpr std::array<std::string_view, 4> kModelNames{"epoll", "thread", "fork",
                                                             "iterative"};
static_assert(kModelNames.size() == static_cast<std::size_t>(Model::Iterative) + 1);
const char* to_string(Model model) noexcept;
std::optional<Model> parse_model(std::string_view name) noexcept;

struct ServerSpec {
  std::vector<net::SockAddr> listen;
  Model model = Model::Epoll;
  unsigned threads = 1;
  // --cpus: epoll worker i runs on cpus[i % size]; the blocking models pin their acceptor and
  // each connection's thread or process the same way (by slot). Empty = anywhere.
  std::vector<unsigned> cpus;
  Mode mode = Mode::Http;
  // Open connections at most; 0 = the open-file limit (epoll), 1024 threads, 256 processes.
  std::uint64_t max_connections = 0;
  std::uint64_t idle_timeout_ns = 60'000'000'000;
  int backlog = 4096;
  // --tls (every model): the context every worker accepts with, built (and checked) before the
  // server starts; null = plaintext.
  std::shared_ptr<tls::ServerContext> tls;
  // --body (http mode): the object sizes served, the first for a request that names none;
  // empty = the tiny constant reply.
  std::vector<std::uint64_t> bodies;
  // --log-connections: a record per accepted connection (every sample-th of each worker, or of
  // the acceptor in the blocking models). The engine makes the rings: one per epoll worker, one
  // per connection slot in the blocking models (in shared memory for the fork model's
  // children). Null = off.
  std::shared_ptr<stats::ConnLog> log;
};

using loop::ListenError;  // a listen address could not be opened

// A running server of any model. open/start/drain/stop/snapshot/join are called from the
// command's thread.
class ServerEngine {
 public:
  virtual ~ServerEngine() = default;
  virtual void open() = 0;  // binds every listener (throws ListenError); port 0 becomes real
  virtual const std::vector<net::SockAddr>& addresses() const noexcept = 0;
  virtual void start() = 0;
  // Graceful end: stop accepting, shut down the write side of every connection once what it is
  // owed is sent, and let the peers close. finished() turns true when none is left.
  virtual void drain() noexcept = 0;
  virtual void stop() noexcept = 0;  // at once: what is still open is closed by the server
  virtual bool finished() const noexcept = 0;
  virtual void join() = 0;
  // Summed over threads (or processes), one entry per listen address.
  virtual void snapshot(std::vector<stats::ListenerSnapshot>& per_listener) const = 0;
  // Connections accepted per peer address (without port); valid after join().
  virtual std::map<std::string, std::uint64_t> peers() const = 0;
  virtual const ServerSpec& spec() const noexcept = 0;
};

std::unique_ptr<ServerEngine> make_server(ServerSpec spec);

using loop::bind_listener;

class ServerWorker;
class ObjectReplies;
}  // namespace connperf::server
extern template class connperf::loop::WorkerPool<connperf::server::ServerWorker>;
namespace connperf::server {

// The epoll model: -t reactor threads, each with its own SO_REUSEPORT listener per address.
class Server final : public ServerEngine {
 public:
  explicit Server(ServerSpec spec);
  ~Server() override;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  void open() override;
  const std::vector<net::SockAddr>& addresses() const noexcept override { return bound_; }
  void start() override;
  void drain() noexcept override;
  void stop() noexcept override;
  bool finished() const noexcept override { return pool_.finished(); }
  void join() override;
  void snapshot(std::vector<stats::ListenerSnapshot>& per_listener) const override;
  std::map<std::string, std::uint64_t> peers() const override;
  const ServerSpec& spec() const noexcept override { return spec_; }

 private:
  friend class ServerWorker;
  ServerSpec spec_;
  std::unique_ptr<const ObjectReplies> objects_;  // --body
  std::vector<net::SockAddr> bound_;
  loop::WorkerPool<ServerWorker> pool_;
};

}  // namespace connperf::server
