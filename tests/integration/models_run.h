// `connperf models` run to a JSON file (and its table into `text`, when given), for the tests of
// models.
#pragma once

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "harness.h"

namespace connperf::test {

inline nlohmann::json run_models(const TempDir& dir, const std::string& models,
                                 const std::string& sweep, std::string* text = nullptr) {
  const std::string path = dir.file("models.json");
  const RunResult r = run({connperf(), "models", "--models", models, "--sweep", sweep, "-d",
                           "0.5", "--warmup", "0.2", "--json", path},
                          dir.path(), std::chrono::seconds(60));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("KiB/conn"), std::string::npos) << r.out;
  if (text) *text = r.out;
  return read_json(path);
}

}  // namespace connperf::test
