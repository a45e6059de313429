// Unit tests for dist/: launcher detection, the per-rank share of a job, the reduction of client
// counters and histograms over ranks (ranks simulated by threads), and `connperf merge`.
#include <gtest/gtest.h>

#include <algorithm>
#include <barrier>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "ranks/comm.h"
#include "result/merge.h"
#include "ranks/reduce.h"
#include "load/split.h"
#include "stats/printers.h"

namespace connperf::ranks {
namespace {

TEST(DistLaunch, OnlyALauncherVariableMeansMpi) {
  std::map<std::string, std::string> env;
  auto get = [&env](const char* n) -> const char* {
    const auto it = env.find(n);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  EXPECT_EQ(launcher_variable(get), "");
  env["OMPI_COMM_WORLD_SIZE"] = "";
  EXPECT_EQ(launcher_variable(get), "");
  env["PMI_RANK"] = "3";
  EXPECT_EQ(launcher_variable(get), "PMI_RANK");
  env["OMPI_COMM_WORLD_SIZE"] = "4";
  EXPECT_EQ(launcher_variable(get), "OMPI_COMM_WORLD_SIZE");
}

TEST(DistLaunch, APlainProcessIsOneRank) {
  EXPECT_EQ(world().size(), 1u);
  EXPECT_EQ(world().rank(), 0u);
  EXPECT_EQ(world().gather("x"), std::vector<std::string>{"x"});
}

TEST(DistSplit, SharesAddUpAndBindsAreDisjoint) {
  load::CrrSpec job;
  job.concurrency = 10;
  job.count = 30001;
  job.rate = 900;
  for (int i = 2; i <= 7; ++i)
    job.binds.push_back(net::parse_bind_spec("127.0.0." + std::to_string(i)).front());
  std::uint64_t count = 0, conc = 0;
  std::vector<std::string> seen;
  for (unsigned r = 0; r < 3; ++r) {
    const load::CrrSpec s = load::share_of(job, 3, r);
    count += s.count;
    conc += s.concurrency;
    EXPECT_DOUBLE_EQ(s.rate, 300);
    EXPECT_EQ(s.binds.size(), 2u);
    for (const auto& a : s.binds) seen.push_back(a.to_string());
  }
  EXPECT_EQ(count, 30001u);
  EXPECT_EQ(load::share_of(job, 3, 0).count, 10001u);
  EXPECT_EQ(conc, 10u);
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::unique(seen.begin(), seen.end()), seen.end());
  EXPECT_EQ(seen.size(), 6u);
}

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

nlohmann::json crr_doc(const stats::ClientSnapshot& s, double seconds, std::uint64_t aborted) {
  return {{"tool", "connperf"},
          {"command", "crr"},
          {"config", {{"threads", 1}}},
          {"intervals",
           {stats::crr_interval_json(1.0, s, 1.0), stats::crr_interval_json(2.0, s, 1.0)}},
          {"summary", stats::crr_summary_json(s, aborted, seconds)}};
}

TEST(DistMerge, ThreeResultsGiveSummedTotalsAndTheMergedHistogram) {
  stats::ClientSnapshot parts[3], all;
  std::mt19937_64 rng(9);
  std::uniform_int_distribution<std::uint64_t> d(20, 900'000);
  for (int i = 0; i < 9000; ++i) {
    const auto v = d(rng) >> (i % 3 * 3);
    for (auto* s : {&parts[i % 3], &all}) {
      s->started++;
      s->completed++;
      s->connect_us.record(v / 3);
      s->response_us.record(v);
      s->total_us.record(v + v / 3);
    }
  }
  parts[1].errors[static_cast<std::size_t>(stats::ErrorKind::Timeout)] = 4;
  parts[1].started += 4;
  all.errors[static_cast<std::size_t>(stats::ErrorKind::Timeout)] = 4;
  all.started += 4;
  const result::Merged m = result::merge_results({crr_doc(parts[0], 2.0, 1), crr_doc(parts[1], 2.5, 0),
                                  crr_doc(parts[2], 2.0, 2)},
                                 {"a.json", "b.json", "c.json"});
  const nlohmann::json want = stats::crr_summary_json(all, 3, 2.5);
  const nlohmann::json& got = m.doc["summary"];
  for (const char* key : {"started", "completed", "aborted", "error_total", "errors", "latency_us",
                          "histograms", "cps", "seconds"})
    EXPECT_EQ(got[key], want[key]) << key;
  EXPECT_EQ(got["merged_from"], 3);
  EXPECT_EQ(m.doc["command"], "crr");
  ASSERT_EQ(m.doc["intervals"].size(), 2u);
  EXPECT_EQ(m.doc["intervals"][1]["started"], all.started);
  EXPECT_DOUBLE_EQ(m.doc["intervals"][1]["cps"].get<double>(), static_cast<double>(all.completed));
}

TEST(DistMerge, RefusesDifferentSubcommandsAndOtherHistogramParameters) {
  stats::ClientSnapshot s;
  s.started = s.completed = 1;
  s.total_us.record(5);
  nlohmann::json a = crr_doc(s, 1, 0), b = crr_doc(s, 1, 0);
  b["command"] = "rr";
  EXPECT_THROW(result::merge_results({a, b}, {"a", "b"}), result::MergeError);
  b = crr_doc(s, 1, 0);
  b["summary"]["histograms"]["total"]["sub_buckets"] = 64;
  try {
    result::merge_results({a, b}, {"a", "b"});
    FAIL() << "merged histograms of other parameters";
  } catch (const result::MergeError& e) {
    EXPECT_NE(std::string(e.what()).find("parameters"), std::string::npos) << e.what();
  }
  b = crr_doc(s, 1, 0);
  b["command"] = "server";
  a["command"] = "server";
  EXPECT_THROW(result::merge_results({a, b}, {"a", "b"}), result::MergeError);
}

}  // namespace
}  // namespace connperf::ranks
