// The sinks of a run: the progress line's text, and one Output writing the result document and
// the NDJSON stream the same way for a timed run and for a step runner.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "run/output.h"
#include "../../scratch_file.h"

namespace connperf::run {
namespace {

TEST(Progress, SaysWhereARunIs) {
  EXPECT_EQ(progress_text(12, 30, -1), "12.0 s of 30 s, 40%, 18 s left");
  EXPECT_EQ(progress_text(5, 0, 0.25), "25% of -n done, 5.0 s, about 15 s left");
  EXPECT_EQ(progress_text(3, 0, -1), "3.0 s");
  EXPECT_EQ(step_progress_text(1, 9, 2, 6, "epoll, 100 connections"),
            "step 2 of 9: epoll, 100 connections, about 46 s left");
  EXPECT_EQ(progress_text(30, 600, -1), "30.0 s of 10m00s, 5%, 9m30s left");
}

// Settings writing both documents to this test's own files, none of which exists yet.
OutputSettings fresh_files() {
  OutputSettings s;
  s.json = test::scratch_file("r.json");
  s.ndjson = test::scratch_file("r.ndjson");
  std::remove(s.json.c_str());
  std::remove(s.ndjson.c_str());
  return s;
}

std::vector<nlohmann::json> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<nlohmann::json> out;
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

TEST(Output, IntervalsGoToTheDocumentAndTheStreamStepsOnlyToTheStream) {
  OutputSettings s = fresh_files();
  s.quiet = true;
  {
    Output out(s, "rr", {{"threads", 2}});
    out.interval({{"t", 1.0}, {"requests", 5}}, "line");
    out.step({{"connections", 50}}, "");
    out.document()["summary"] = {{"requests", 5}};
    out.end();
  }
  std::ifstream in(s.json);
  const nlohmann::json doc = nlohmann::json::parse(in);
  EXPECT_EQ(doc["tool"], "connperf");
  EXPECT_EQ(doc["command"], "rr");
  EXPECT_EQ(doc["config"]["threads"], 2);
  EXPECT_TRUE(doc["started_at"].get<std::string>().ends_with("Z"));
  EXPECT_FALSE(doc["host"].get<std::string>().empty());
  ASSERT_EQ(doc["intervals"].size(), 1u);
  EXPECT_EQ(doc["summary"]["requests"], 5);
  const auto lines = read_lines(s.ndjson);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0]["event"], "start");
  EXPECT_EQ(lines[1]["event"], "interval");
  EXPECT_EQ(lines[1]["requests"], 5);
  EXPECT_EQ(lines[2]["connections"], 50);
  EXPECT_EQ(lines[3]["event"], "end");
  EXPECT_EQ(lines[3]["summary"]["requests"], 5);
}

TEST(Output, ARankThatDoesNotTalkWritesNothing) {
  const OutputSettings s = fresh_files();
  {
    Output out(s, "crr", nlohmann::json::object(), false);
    out.end();
  }
  EXPECT_FALSE(std::ifstream(s.json).good());
  EXPECT_FALSE(std::ifstream(s.ndjson).good());
}

TEST(Output, AJsonStreamOnStdoutSendsTheTableToStderr) {
  OutputSettings s;
  EXPECT_EQ(s.human(), stdout);
  s.ndjson = "-";
  EXPECT_EQ(s.human(), stderr);
  s.ndjson.clear();
  s.json = "-";
  EXPECT_EQ(s.human(), stderr);
}

}  // namespace
}  // namespace connperf::run
