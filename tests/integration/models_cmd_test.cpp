// `connperf models` starts and stops every server model.
#include <signal.h>

#include <cerrno>

#include <gtest/gtest.h>

#include "harness.h"
#include "models_run.h"

namespace connperf::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

bool process_exists(int pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

TEST(ModelsIntegration, EveryModelGivesARowPerStepAndItsServerIsGoneAfter) {
  TempDir dir;
  std::string table;
  const json doc = run_models(dir, "epoll,thread,fork,iterative", "2,4", &table);
  EXPECT_NE(table.find("iterative: only 1 of 4 connections got any response"), std::string::npos)
      << table;
  EXPECT_EQ(table.find("epoll: only"), std::string::npos) << table;
  const json& models = doc["summary"]["models"];
  ASSERT_EQ(models.size(), 4u);
  for (const json& m : models) {
    ASSERT_EQ(m["steps"].size(), 2u) << m["model"];
    EXPECT_EQ(m["steps"][0]["connections"], 2);
    EXPECT_EQ(m["steps"][1]["connections"], 4);
    for (const json& st : m["steps"]) EXPECT_GT(st["qps"].get<double>(), 0) << m["model"];
    // Fairness: one connection at a time leaves the others unanswered; the others answer all.
    EXPECT_EQ(m["steps"][1]["answered_connections"], m["model"] == "iterative" ? 1 : 4)
        << m["model"];
    ASSERT_TRUE(m["memory"].is_object()) << m["model"];
    EXPECT_GT(m["memory"]["pss_kib_top"].get<double>(), 0);
    const json& pids = m["memory"]["pids"];
    if (m["model"] == "fork") EXPECT_GE(pids.size(), 2u) << "a child per connection";
    for (const json& pid : pids) EXPECT_FALSE(process_exists(pid.get<int>())) << pid;
  }
}

TEST(ModelsIntegration, RefusesAnUnknownModel) {
  TempDir dir;
  const RunResult r = run({connperf(), "models", "--models", "epoll,forks"}, dir.path(), 10s);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("'forks'"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace connperf::test
