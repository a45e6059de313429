// The textbook blocking models of `connperf server`: iterative (one connection at a time),
// thread (a thread per connection) and fork (a process per connection). One acceptor thread;
// counters live in shared memory, one slot per live connection, so a forked child counts
// exactly and no two threads write the same counter.
#pragma once

#include <pthread.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "server/conn_note.h"
#include "server/peer_counter.h"
#include "server/server.h"

namespace connperf::server {

// Shared (MAP_SHARED) between the acceptor, connection threads and forked children.
struct SharedBlock;

class BlockingServer final : public ServerEngine {
 public:
  explicit BlockingServer(ServerSpec spec);
  ~BlockingServer() override;
  BlockingServer(const BlockingServer&) = delete;
  BlockingServer& operator=(const BlockingServer&) = delete;

  void open() override;
  const std::vector<net::SockAddr>& addresses() const noexcept override { return bound_; }
  void start() override;
  void drain() noexcept override;
  void stop() noexcept override;
  bool finished() const noexcept override;
  void join() override;
  void snapshot(std::vector<stats::ListenerSnapshot>& per_listener) const override;
  std::map<std::string, std::uint64_t> peers() const override;
  const ServerSpec& spec() const noexcept override { return spec_; }

 private:
  void accept_loop();
  bool accept_one(std::size_t listener);
  void dispatch(int fd, std::size_t listener, const ConnNote* note);
  void run_thread(int fd, std::size_t listener, std::size_t slot, const ConnNote* note);
  void run_child(int fd, std::size_t listener, std::size_t slot, const ConnNote* note);
  void serve(int fd, std::size_t listener, std::size_t slot, const ConnNote* note);
  void unserved(int fd, std::size_t listener, std::size_t slot, const ConnNote* note);
  LogTo log_to(std::size_t slot) const noexcept;
  void pin_connection(std::size_t slot) const noexcept;
  std::size_t take_slot();
  void give_slot(std::size_t slot);
  void reap(bool block);
  stats::ListenerStats& stats(std::size_t slot, std::size_t listener) const;

  ServerSpec spec_;
  std::unique_ptr<const ObjectReplies> objects_;  // --body
  std::vector<net::SockAddr> bound_;
  std::vector<net::Fd> listeners_;
  std::size_t cap_ = 0;
  SharedBlock* shared_ = nullptr;
  std::size_t shared_bytes_ = 0;
  std::thread acceptor_;
  std::atomic<bool> acceptor_done_{false};
  std::atomic<std::size_t> live_{0};
  std::mutex slots_mu_;
  std::vector<std::size_t> free_slots_;
  std::map<pid_t, std::size_t> children_;  // fork model: child → slot (acceptor thread only)
  PeerCounter peers_;                      // acceptor thread only
  stats::ConnLogger log_pick_;             // --log-connections: which are logged (acceptor)
};

}  // namespace connperf::server
