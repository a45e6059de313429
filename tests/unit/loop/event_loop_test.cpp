// loop::EventLoop: the single timer, cross-thread wake-ups, batch ends, and epoll_ctl results.
// Each test runs the loop on its own thread under a watchdog, so a missing event fails the test
// in about a second instead of hanging it.
#include "loop/event_loop.h"

#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace connperf::loop {
namespace {

using namespace std::chrono_literals;

constexpr auto kWatchdog = 1s;

// Records what the loop delivers; after every event and batch end it asks `done` whether to stop.
class Recorder final : public Handler {
 public:
  explicit Recorder(EventLoop& loop) : loop_(loop) {}

  void on_io(Token token, std::uint32_t events) override {
    io.push_back(token);
    log += 'I';
    if (on_io_hook) on_io_hook(token, events);
    check();
  }
  void on_deadline(std::uint64_t now) override {
    deadlines.push_back(now);
    log += 'D';
    if (on_deadline_hook) on_deadline_hook(now);
    check();
  }
  void on_wake() override {
    if (expired) return loop_.stop();
    ++wakes;
    wake_threads.push_back(std::this_thread::get_id());
    wake_in_loop_thread = loop_.in_loop_thread();
    log += 'W';
    if (on_wake_hook) on_wake_hook();
    check();
  }
  void on_batch_end() override {
    log += 'B';
    check();
  }

  std::function<bool()> done = [] { return false; };
  std::function<void(Token, std::uint32_t)> on_io_hook;
  std::function<void(std::uint64_t)> on_deadline_hook;
  std::function<void()> on_wake_hook;

  std::vector<Token> io;
  std::vector<std::uint64_t> deadlines;  // the `now` each on_deadline got
  int wakes = 0;
  std::vector<std::thread::id> wake_threads;
  bool wake_in_loop_thread = false;
  std::string log;  // I = io, D = deadline, W = wake, B = batch end
  std::atomic<bool> expired{false};

 private:
  void check() {
    if (done()) loop_.stop();
  }
  EventLoop& loop_;
};

// Runs the loop on this thread until the handler stops it; a watchdog thread sets its `expired`
// and wakes it (its on_wake then stops the loop) after kWatchdog. False when the watchdog had to.
template <typename H>
bool run_bounded(EventLoop& loop, H& rec) {
  std::mutex m;
  std::condition_variable cv;
  bool returned = false;
  std::thread watchdog([&] {
    std::unique_lock lock(m);
    if (!cv.wait_for(lock, kWatchdog, [&] { return returned; })) {
      rec.expired = true;
      loop.wake();
    }
  });
  loop.run(rec);
  {
    std::lock_guard lock(m);
    returned = true;
  }
  cv.notify_one();
  watchdog.join();
  return !rec.expired;
}

// Wakes `loop` from another thread after `delay`: lets a test keep the loop running for a while
// (to show that something does not happen) and then end it through `done`.
std::thread wake_after(EventLoop& loop, std::chrono::milliseconds delay) {
  return std::thread([&loop, delay] {
    std::this_thread::sleep_for(delay);
    loop.wake();
  });
}

struct Pair {  // a connected AF_UNIX stream pair, non-blocking
  int a = -1, b = -1;
  Pair() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    a = fds[0];
    b = fds[1];
  }
  ~Pair() {
    if (a >= 0) ::close(a);
    if (b >= 0) ::close(b);
  }
  Pair(const Pair&) = delete;
  Pair& operator=(const Pair&) = delete;
};

void put(int fd, const std::string& bytes) {
  ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
}

std::string take(int fd) {
  char buf[256];
  const ssize_t n = ::read(fd, buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

// --- the timer -----------------------------------------------------------------------------

TEST(EventLoopTimer, FiresOnceAtOrAfterTheDeadline) {
  EventLoop loop;
  Recorder rec(loop);
  const std::uint64_t when = now_ns() + 20 * kMs;
  loop.set_deadline(when);
  EXPECT_EQ(loop.deadline(), when);
  std::thread waker = wake_after(loop, 150ms);  // time enough for a second, wrong, firing
  rec.done = [&] { return rec.wakes > 0; };
  const bool ok = run_bounded(loop, rec);
  waker.join();
  ASSERT_TRUE(ok);
  ASSERT_EQ(rec.deadlines.size(), 1u) << rec.log;
  EXPECT_GE(rec.deadlines[0], when);
  EXPECT_LT(rec.deadlines[0], when + 100 * kMs);
  EXPECT_EQ(loop.deadline(), 0u) << "a deadline that fired is no longer armed";
}

TEST(EventLoopTimer, ReArmingFromOnDeadlineFiresAgain) {
  EventLoop loop;
  Recorder rec(loop);
  std::vector<std::uint64_t> armed{now_ns() + 5 * kMs};
  loop.set_deadline(armed.back());
  rec.on_deadline_hook = [&](std::uint64_t now) {
    if (rec.deadlines.size() < 3) {
      armed.push_back(now + 5 * kMs);
      loop.set_deadline(armed.back());
    }
  };
  rec.done = [&] { return rec.deadlines.size() == 3; };
  ASSERT_TRUE(run_bounded(loop, rec)) << rec.log;
  ASSERT_EQ(rec.deadlines.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_GE(rec.deadlines[i], armed[i]) << i;
  EXPECT_EQ(loop.deadline(), 0u);
}

TEST(EventLoopTimer, ANewDeadlineReplacesTheOldOneEarlierOrLater) {
  EventLoop loop;
  Recorder rec(loop);
  const std::uint64_t t = now_ns();
  loop.set_deadline(t + 10 * kMs);
  loop.set_deadline(t + 60 * kMs);  // later: the earlier one must not fire
  rec.done = [&] { return !rec.deadlines.empty(); };
  ASSERT_TRUE(run_bounded(loop, rec));
  ASSERT_EQ(rec.deadlines.size(), 1u);
  EXPECT_GE(rec.deadlines[0], t + 60 * kMs);

  Recorder rec2(loop);
  const std::uint64_t t2 = now_ns();
  loop.set_deadline(t2 + 800 * kMs);
  loop.set_deadline(t2 + 10 * kMs);  // earlier: fires then, not at 800 ms
  rec2.done = [&] { return !rec2.deadlines.empty(); };
  ASSERT_TRUE(run_bounded(loop, rec2));
  ASSERT_EQ(rec2.deadlines.size(), 1u);
  EXPECT_GE(rec2.deadlines[0], t2 + 10 * kMs);
  EXPECT_LT(rec2.deadlines[0], t2 + 400 * kMs);
}

TEST(EventLoopTimer, ZeroDisarms) {
  EventLoop loop;
  Recorder rec(loop);
  loop.set_deadline(now_ns() + 10 * kMs);
  loop.set_deadline(0);
  EXPECT_EQ(loop.deadline(), 0u);
  std::thread waker = wake_after(loop, 100ms);  // ten times the disarmed deadline
  rec.done = [&] { return rec.wakes > 0; };
  const bool ok = run_bounded(loop, rec);
  waker.join();
  ASSERT_TRUE(ok);
  EXPECT_TRUE(rec.deadlines.empty()) << rec.log;
}

TEST(EventLoopTimer, ADeadlineInThePastFiresPromptly) {
  for (const std::uint64_t back : {std::uint64_t{1}, kSec}) {
    EventLoop loop;
    Recorder rec(loop);
    const std::uint64_t t = now_ns();
    loop.set_deadline(t - back);
    rec.done = [&] { return !rec.deadlines.empty(); };
    ASSERT_TRUE(run_bounded(loop, rec)) << "a deadline " << back << " ns ago never fired";
    ASSERT_EQ(rec.deadlines.size(), 1u);
    EXPECT_LT(rec.deadlines[0], t + 100 * kMs);
  }
}

// --- wake-ups ------------------------------------------------------------------------------

TEST(EventLoopWake, AWakeFromAnotherThreadRunsOnTheLoopThread) {
  EventLoop loop;
  Recorder rec(loop);
  std::thread::id loop_thread;
  std::thread::id waker_thread;
  std::thread runner([&] {
    loop_thread = std::this_thread::get_id();
    rec.done = [&] { return rec.wakes > 0; };
    run_bounded(loop, rec);
  });
  std::thread waker([&] {
    waker_thread = std::this_thread::get_id();
    std::this_thread::sleep_for(20ms);  // the loop is asleep in epoll_wait by then
    loop.wake();
  });
  waker.join();
  runner.join();
  ASSERT_FALSE(rec.expired) << "the wake-up never arrived";
  ASSERT_EQ(rec.wakes, 1);
  EXPECT_EQ(rec.wake_threads[0], loop_thread);
  EXPECT_NE(rec.wake_threads[0], waker_thread);
  EXPECT_TRUE(rec.wake_in_loop_thread);
}

TEST(EventLoopWake, WakesBeforeTheLoopRunsAreDeliveredAndDrained) {
  EventLoop loop;
  Recorder rec(loop);
  std::thread early([&] {
    for (int i = 0; i < 5; ++i) loop.wake();
  });
  early.join();
  // Run on a while after the first on_wake: an undrained eventfd would keep waking the loop.
  std::atomic<bool> late{false};
  std::thread waker([&] {
    std::this_thread::sleep_for(100ms);
    late = true;
    loop.wake();
  });
  rec.done = [&] { return late.load() || rec.wakes > 5; };
  const bool ok = run_bounded(loop, rec);
  waker.join();
  ASSERT_TRUE(ok) << rec.log;
  EXPECT_GE(rec.wakes, 1) << "the early wakes were lost";
  EXPECT_LE(rec.wakes, 2) << "the five early wakes come as one on_wake (then the late one)";
}

// The pattern engines use: a queue filled by other threads, wake() after each push. However
// the wakes coalesce, every item is seen.
TEST(EventLoopWake, NoItemQueuedBeforeAWakeIsLost) {
  EventLoop loop;
  Recorder rec(loop);
  constexpr int kItems = 2000;
  std::mutex m;
  std::vector<int> queue;
  std::vector<int> seen;
  rec.on_wake_hook = [&] {
    std::lock_guard lock(m);
    seen.insert(seen.end(), queue.begin(), queue.end());
    queue.clear();
  };
  rec.done = [&] { return seen.size() == std::size_t{kItems}; };
  std::vector<std::thread> producers;
  for (int p = 0; p < 2; ++p)
    producers.emplace_back([&, p] {
      for (int i = p; i < kItems; i += 2) {
        {
          std::lock_guard lock(m);
          queue.push_back(i);
        }
        loop.wake();
      }
    });
  const bool ok = run_bounded(loop, rec);
  for (auto& t : producers) t.join();
  ASSERT_TRUE(ok) << seen.size() << " of " << kItems;
  std::sort(seen.begin(), seen.end());
  for (int i = 0; i < kItems; ++i) ASSERT_EQ(seen[i], i);
}

// --- batches -------------------------------------------------------------------------------

TEST(EventLoopBatch, OnBatchEndFollowsEachBatch) {
  EventLoop loop;
  Recorder rec(loop);
  Pair p1, p2;
  ASSERT_TRUE(loop.add(p1.a, EPOLLIN, {1, 0, 0}).ok());
  ASSERT_TRUE(loop.add(p2.a, EPOLLIN, {2, 0, 0}).ok());
  put(p1.b, "x");
  put(p2.b, "y");  // both ready before the first epoll_wait: one batch of two
  rec.on_io_hook = [&](Token t, std::uint32_t) {
    (void)take(t.slot == 1 ? p1.a : p2.a);
    if (rec.io.size() == 2) loop.wake();  // the next batch: the wake-up alone
  };
  rec.done = [&] { return rec.wakes == 1 && rec.log.back() == 'B'; };
  ASSERT_TRUE(run_bounded(loop, rec)) << rec.log;
  EXPECT_EQ(rec.log, "IIBWB");
}

TEST(EventLoopBatch, ATimerBatchEndsToo) {
  EventLoop loop;
  Recorder rec(loop);
  loop.set_deadline(now_ns());
  rec.done = [&] { return rec.log.size() >= 2; };
  ASSERT_TRUE(run_bounded(loop, rec)) << rec.log;
  EXPECT_EQ(rec.log, "DB");
}

// --- add, modify, remove -------------------------------------------------------------------

TEST(EventLoopControl, AddModifyRemoveAndTheTokenComesBack) {
  EventLoop loop;
  Recorder rec(loop);
  Pair p;
  const Token first{7, 41, 2};
  const Token second{9, 42, 5};
  net::Result r = loop.add(p.a, EPOLLIN, first);
  ASSERT_TRUE(r.ok()) << net::to_string(r.err);
  r = loop.modify(p.a, EPOLLIN, second);
  ASSERT_TRUE(r.ok()) << net::to_string(r.err);
  put(p.b, "z");
  rec.on_io_hook = [&](Token, std::uint32_t) { (void)take(p.a); };
  rec.done = [&] { return !rec.io.empty(); };
  ASSERT_TRUE(run_bounded(loop, rec));
  ASSERT_EQ(rec.io.size(), 1u);
  EXPECT_EQ(rec.io[0], second);

  loop.remove(p.a);
  Recorder after(loop);
  put(p.b, "again");
  std::thread waker = wake_after(loop, 50ms);
  after.done = [&] { return after.wakes > 0; };
  const bool ok = run_bounded(loop, after);
  waker.join();
  ASSERT_TRUE(ok);
  EXPECT_TRUE(after.io.empty()) << "a removed fd still reported";
}

TEST(EventLoopControl, ModifyToNoInterestSilencesAndBackRestores) {
  EventLoop loop;
  Pair p;
  ASSERT_TRUE(loop.add(p.a, EPOLLIN, {1, 1, 1}).ok());
  put(p.b, "x");
  ASSERT_TRUE(loop.modify(p.a, 0, {1, 1, 1}).ok());
  Recorder quiet(loop);
  std::thread waker = wake_after(loop, 50ms);
  quiet.done = [&] { return quiet.wakes > 0; };
  const bool ok = run_bounded(loop, quiet);
  waker.join();
  ASSERT_TRUE(ok);
  EXPECT_TRUE(quiet.io.empty()) << quiet.log;

  ASSERT_TRUE(loop.modify(p.a, EPOLLIN, {1, 2, 1}).ok());
  Recorder back(loop);
  back.done = [&] { return !back.io.empty(); };
  ASSERT_TRUE(run_bounded(loop, back));
  EXPECT_EQ(back.io[0], (Token{1, 2, 1}));
}

TEST(EventLoopControl, ABadFdIsAClassifiedErrorNotACrash) {
  EventLoop loop;
  const int closed = ::eventfd(0, EFD_CLOEXEC);
  ASSERT_GE(closed, 0);
  ::close(closed);
  for (const int fd : {-1, closed}) {
    const net::Result a = loop.add(fd, EPOLLIN, {1, 0, 0});
    EXPECT_FALSE(a.ok()) << fd;
    EXPECT_EQ(a.sys_errno, EBADF) << fd;
    EXPECT_NE(a.err, net::Err::Ok);
    const net::Result m = loop.modify(fd, EPOLLIN, {1, 0, 0});
    EXPECT_FALSE(m.ok()) << fd;
    EXPECT_EQ(m.sys_errno, EBADF) << fd;
    loop.remove(fd);  // nothing to return; must simply not crash
  }
}

TEST(EventLoopControl, OtherEpollCtlFailuresComeBackWithTheirErrno) {
  EventLoop loop;
  Pair p;
  const net::Result unknown = loop.modify(p.a, EPOLLIN, {1, 0, 0});  // never added
  EXPECT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.sys_errno, ENOENT);
  ASSERT_TRUE(loop.add(p.a, EPOLLIN, {1, 0, 0}).ok());
  const net::Result twice = loop.add(p.a, EPOLLIN, {1, 0, 0});
  EXPECT_FALSE(twice.ok());
  EXPECT_EQ(twice.sys_errno, EEXIST);
  std::FILE* file = std::tmpfile();  // a regular file: epoll refuses it
  ASSERT_NE(file, nullptr);
  const net::Result regular = loop.add(::fileno(file), EPOLLIN, {2, 0, 0});
  std::fclose(file);
  EXPECT_FALSE(regular.ok());
  EXPECT_EQ(regular.sys_errno, EPERM);
}

// --- tokens through the loop ---------------------------------------------------------------

// Owners' tokens that look like the loop's own (slots 0 and 1, generation 0) in every kind the
// owner may use reach on_io, and are never taken for the timer or a wake-up.
TEST(EventLoopTokens, OwnerTokensNeverCollideWithTheLoopsOwn) {
  EventLoop loop;
  Recorder rec(loop);
  std::vector<std::unique_ptr<Pair>> pairs;
  std::vector<Token> want;
  for (std::uint8_t kind = 0; kind <= Token::kMaxKind; ++kind)
    for (std::uint32_t slot : {0u, 1u}) {
      pairs.push_back(std::make_unique<Pair>());
      want.push_back({slot, 0, kind});
      ASSERT_TRUE(loop.add(pairs.back()->a, EPOLLIN, want.back()).ok());
      put(pairs.back()->b, "x");
    }
  rec.on_io_hook = [&](Token t, std::uint32_t) {
    (void)take(pairs[std::size_t{t.kind} * 2 + t.slot]->a);
  };
  rec.done = [&] { return rec.io.size() == want.size(); };
  ASSERT_TRUE(run_bounded(loop, rec)) << rec.log;
  EXPECT_TRUE(rec.deadlines.empty());
  EXPECT_EQ(rec.wakes, 0);
  std::vector<Token> got = rec.io;
  auto order = [](const Token& x, const Token& y) { return x.pack() < y.pack(); };
  std::sort(got.begin(), got.end(), order);
  std::sort(want.begin(), want.end(), order);
  EXPECT_EQ(got, want);
}

// A slot reused for a new fd gets a new generation; an event still carrying the old one must be
// told apart. dup() keeps fd A's epoll registration alive after A is closed (epoll watches the
// open file, not the number), so A's events keep arriving with the old token after the slot
// holds B: the same thing as events of one batch that follow the close.
class Slots final : public Handler {
 public:
  struct Slot {
    int fd = -1;
    std::uint32_t gen = 0;
    bool used = false;
    std::string got;
  };

  Slots(EventLoop& loop, std::size_t n) : loop_(loop), slots_(n) {}

  void open(std::uint32_t i, int fd) {
    Slot& s = slots_[i];
    s = Slot{fd, s.gen + 1, true, {}};
    ASSERT_TRUE(loop_.add(fd, EPOLLIN, {i, s.gen, 0}).ok());
  }
  const Slot& slot(std::uint32_t i) const { return slots_[i]; }

  void on_io(Token token, std::uint32_t) override {
    Slot& s = slots_[token.slot];
    if (!s.used || s.gen != token.gen) {  // as in load/crr.cpp
      ++stale;
      return check();
    }
    ++live;
    s.got += take(s.fd);
    check();
  }
  void on_deadline(std::uint64_t) override {}
  void on_wake() override {
    if (expired) loop_.stop();
  }

  std::atomic<bool> expired{false};
  int stale = 0;
  int live = 0;

 private:
  void check() {
    if (stale > 0 && slots_[3].got == "for B") loop_.stop();
  }
  EventLoop& loop_;
  std::vector<Slot> slots_;
};

TEST(EventLoopTokens, AStaleEventForAReusedSlotIsIgnoredByItsGeneration) {
  EventLoop loop;
  Slots owner(loop, 8);
  Pair a, b;
  owner.open(3, a.a);
  ASSERT_EQ(owner.slot(3).gen, 1u);
  const int ghost = ::dup(a.a);  // A's registration outlives A
  ASSERT_GE(ghost, 0);
  ::close(a.a);  // slot 3 is free
  a.a = -1;
  owner.open(3, b.a);  // slot 3 again, generation 2
  ASSERT_EQ(owner.slot(3).gen, 2u);
  put(a.b, "for A");  // reported with Token{3, 1}: stale
  put(b.b, "for B");  // reported with Token{3, 2}
  const bool ok = run_bounded(loop, owner);
  ::close(ghost);
  ASSERT_TRUE(ok) << owner.stale << " stale, " << owner.live << " live";
  EXPECT_GE(owner.stale, 1) << "the old registration never reported";
  EXPECT_GE(owner.live, 1);
  EXPECT_EQ(owner.slot(3).got, "for B") << "A's bytes were read as B's, or B's were lost";
}

}  // namespace
}  // namespace connperf::loop
