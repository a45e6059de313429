// The reduction of client counters and histograms over ranks (ranks simulated by threads) and
// the agreement of every rank on a start.
#include <gtest/gtest.h>

#include <algorithm>
#include <barrier>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "ranks/comm.h"
#include "ranks/reduce.h"
#include "stats/client_stats.h"

namespace connperf::ranks {
namespace {

// N ranks as threads: each collective adds every rank's contribution once all have arrived.
struct Shared {
  explicit Shared(unsigned n) : size(n), gate(n) {}
  unsigned size;
  std::barrier<> gate;
  std::vector<std::vector<std::uint64_t>> parts = std::vector<std::vector<std::uint64_t>>(size);
  std::vector<std::string> rows = std::vector<std::string>(size);
};

class ThreadRank final : public Comm {
 public:
  ThreadRank(Shared& s, unsigned rank) : s_(s), rank_(rank) {}
  unsigned rank() const noexcept override { return rank_; }
  unsigned size() const noexcept override { return s_.size; }
  const std::string& host() const noexcept override { return host_; }
  void barrier() override { s_.gate.arrive_and_wait(); }
  void sum(std::span<std::uint64_t> v) override {
    combine(v, [](std::uint64_t a, std::uint64_t b) { return a + b; });
  }
  void min(std::span<std::uint64_t> v) override {
    combine(v, [](std::uint64_t a, std::uint64_t b) { return std::min(a, b); });
  }
  void max(std::span<std::uint64_t> v) override {
    combine(v, [](std::uint64_t a, std::uint64_t b) { return std::max(a, b); });
  }
  std::vector<std::string> gather(const std::string& row) override {
    s_.rows[rank_] = row;
    s_.gate.arrive_and_wait();
    std::vector<std::string> all = rank_ == 0 ? s_.rows : std::vector<std::string>{};
    s_.gate.arrive_and_wait();
    return all;
  }
  [[noreturn]] void abort(int) override { std::abort(); }

 private:
  template <typename Op>
  void combine(std::span<std::uint64_t> v, Op op) {
    s_.parts[rank_].assign(v.begin(), v.end());
    s_.gate.arrive_and_wait();
    for (unsigned r = 0; r < s_.size; ++r)
      if (r != rank_)
        for (std::size_t i = 0; i < v.size(); ++i) v[i] = op(v[i], s_.parts[r][i]);
    s_.gate.arrive_and_wait();
  }
  Shared& s_;
  unsigned rank_;
  std::string host_ = "test";
};

TEST(DistReduce, RanksSumToTheSnapshotOfOneProcessFedEverything) {
  constexpr unsigned kRanks = 3;
  std::vector<stats::ClientSnapshot> own(kRanks);
  stats::ClientSnapshot all;
  std::mt19937_64 rng(5);
  std::lognormal_distribution<double> d(6.0, 1.5);
  for (int i = 0; i < 30000; ++i) {
    stats::ClientSnapshot& s = own[static_cast<unsigned>(i) % kRanks];
    const auto v = static_cast<std::uint64_t>(d(rng)) << (i % kRanks);  // different per rank
    for (auto* t : {&s, &all}) {
      t->started++;
      if (i % 7 == 0) t->errors[static_cast<std::size_t>(stats::ErrorKind::Refused)]++;
      else t->completed++;
      t->body_bytes += v;  // --object: body bytes, per size too
      t->objects[i % 2].size = 1024u << (i % 2);
      t->objects[i % 2].completed++;
      t->objects[i % 2].body_bytes += v;
      t->connect_us.record(v);
      t->response_us.record(v / 2);
      t->total_us.record(v + 10);
    }
  }
  Shared shared(kRanks);
  std::vector<std::uint64_t> extras(kRanks);
  std::vector<std::thread> ranks;
  for (unsigned r = 0; r < kRanks; ++r)
    ranks.emplace_back([&, r] {
      ThreadRank comm(shared, r);
      extras[r] = r + 1;
      sum(comm, own[r], {&extras[r], 1});
    });
  for (auto& t : ranks) t.join();
  for (unsigned r = 0; r < kRanks; ++r) {
    const stats::ClientSnapshot& s = own[r];
    EXPECT_EQ(s.started, all.started);
    EXPECT_EQ(s.completed, all.completed);
    EXPECT_EQ(s.errors, all.errors);
    EXPECT_EQ(s.body_bytes, all.body_bytes);
    for (std::size_t k = 0; k < 2; ++k) {
      EXPECT_EQ(s.objects[k].completed, all.objects[k].completed);
      EXPECT_EQ(s.objects[k].body_bytes, all.objects[k].body_bytes);
    }
    EXPECT_EQ(extras[r], 6u);
    for (auto [h, want] : {std::pair{&s.connect_us, &all.connect_us},
                           std::pair{&s.response_us, &all.response_us},
                           std::pair{&s.total_us, &all.total_us}}) {
      EXPECT_EQ(h->count(), want->count());
      EXPECT_EQ(h->sum(), want->sum());
      EXPECT_EQ(h->min(), want->min());
      EXPECT_EQ(h->max(), want->max());
      for (double p : {50.0, 90.0, 99.0, 99.9}) EXPECT_EQ(h->percentile(p), want->percentile(p));
    }
  }
}

TEST(DistReduce, AgreeReadyTakesTheFirstFailingRanksCode) {
  constexpr unsigned kRanks = 3;
  Shared shared(kRanks);
  std::vector<int> codes(kRanks);
  std::vector<std::thread> ranks;
  for (unsigned r = 0; r < kRanks; ++r)
    ranks.emplace_back([&, r] {
      ThreadRank comm(shared, r);
      codes[r] = agree_ready(comm, r == 0 ? 0 : static_cast<int>(r), "why");
    });
  for (auto& t : ranks) t.join();
  EXPECT_EQ(codes, (std::vector<int>{1, 1, 1}));  // rank 1's code, the first that failed
  std::vector<int> ready(kRanks, -1);
  ranks.clear();
  for (unsigned r = 0; r < kRanks; ++r)
    ranks.emplace_back([&, r] {
      ThreadRank comm(shared, r);
      ready[r] = agree_ready(comm, 0, "");
    });
  for (auto& t : ranks) t.join();
  EXPECT_EQ(ready, (std::vector<int>{0, 0, 0}));
}

}  // namespace
}  // namespace connperf::ranks
