// Name resolution off the event loops: a few threads run getaddrinfo for queued lookups and hand
// each answer to the asking loop's inbox, then wake that loop. Literal addresses never get here.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "loop/event_loop.h"
#include "net/address.h"

namespace connperf::proxy {

struct Answer {
  std::uint64_t tag = 0;  // the asker's, returned unchanged
  std::vector<net::SockAddr> addresses;
  std::string error;  // why there are none
};

// Answers for one event loop; push() from resolver threads, take() on the loop's thread.
class Inbox {
 public:
  explicit Inbox(loop::EventLoop& loop) : loop_(loop) {}
  void push(Answer a);
  void take(std::vector<Answer>& out);

 private:
  loop::EventLoop& loop_;
  std::mutex mu_;
  std::vector<Answer> answers_;
};

class Resolver {
 public:
  explicit Resolver(unsigned threads);
  ~Resolver();  // finishes the lookup in progress on each thread, drops the queued ones
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Queues a lookup; false when kMaxQueued are waiting already (the asker answers 502).
  bool lookup(std::string host, std::uint16_t port, std::uint64_t tag, Inbox& reply);
  // Drops a queued lookup whose asker is gone (one being resolved still answers: ignored).
  void cancel(std::uint64_t tag);
  static constexpr std::size_t kMaxQueued = 1024;

 private:
  struct Job {
    std::string host;
    std::uint16_t port;
    std::uint64_t tag;
    Inbox* reply;
  };
  void run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace connperf::proxy
