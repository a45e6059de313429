// A file name of the running test's own in GoogleTest's scratch folder, so tests that write
// results (JSON, NDJSON, logs) never share a file, whichever order or binary runs them.
#pragma once

#include <gtest/gtest.h>

#include <string>

namespace connperf::test {

inline std::string scratch_file(const std::string& name) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return ::testing::TempDir() + "connperf_" + info->test_suite_name() + "_" + info->name() + "_" +
         name;
}

}  // namespace connperf::test
