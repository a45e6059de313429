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

TEST(Document, CarriesTheCommandLineAsAShellWouldTakeItBack) {
  EXPECT_EQ(shell_words({"connperf", "crr", "127.0.0.1:80", "-d", "5"}),
            "connperf crr 127.0.0.1:80 -d 5");
  EXPECT_EQ(shell_words({"lab", "--server-args", "-t 1", "it's", ""}),
            R"(lab --server-args '-t 1' 'it'\''s' '')");
  const char* argv[] = {"/usr/bin/connperf", "rr", "[::1]:80", "--request", "GET / x"};
  set_command_line(5, argv);
  EXPECT_EQ(document("rr", {})["command_line"], "connperf rr [::1]:80 --request 'GET / x'");
}

TEST(Document, AFileThatCannotBeWrittenIsAnError) {
  EXPECT_THROW(write_json("/nonexistent-dir/r.json", document("crr", {})), std::runtime_error);
}

}  // namespace
}  // namespace connperf::result
