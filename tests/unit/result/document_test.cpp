// The result document's head: who wrote it, when (RFC 3339, UTC) and where.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "result/document.h"

namespace connperf::result {
namespace {

TEST(Document, SaysWhatWhenAndWhereItRan) {
  const nlohmann::json doc = document("crr", {{"threads", 1}});
  EXPECT_EQ(doc["tool"], "connperf");
  EXPECT_EQ(doc["version"], CONNPERF_VERSION);
  EXPECT_EQ(doc["command"], "crr");
  EXPECT_EQ(doc["config"]["threads"], 1);
  EXPECT_TRUE(std::regex_match(doc["started_at"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
  EXPECT_FALSE(doc["host"].get<std::string>().empty());
  EXPECT_TRUE(doc["intervals"].is_array());
  EXPECT_TRUE(doc["summary"].is_object());
}

TEST(Document, AFileThatCannotBeWrittenIsAnError) {
  EXPECT_THROW(write_json("/nonexistent-dir/r.json", document("crr", {})), std::runtime_error);
}

}  // namespace
}  // namespace connperf::result
