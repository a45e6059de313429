// Man pages and completions (manual/manual.h) from CLI11 definitions: roff escaping, enum values read
// from a flag's type, and what a page and the bash script hold for a small app.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "manual/manual.h"

namespace connperf::manual {
namespace {

TEST(Manual, RoffEscapesHyphensBackslashesAndLeadingDots) {
  EXPECT_EQ(roff_escape("--close"), "\\-\\-close");
  EXPECT_EQ(roff_escape("a\\nb"), "a\\enb");
  EXPECT_EQ(roff_escape(".hidden"), "\\&.hidden");
  EXPECT_EQ(roff_escape("'quoted'"), "\\&'quoted'");
}

struct SmallApp {
  CLI::App app{"connperf 0.1.0 — test app"};
  std::string close = "rst";
  unsigned threads = 1;
  std::string name;
  SmallApp() {
    CLI::App* crr = app.add_subcommand("crr", "new connections per second");
    crr->add_option("--close", close, "how we close")->check(CLI::IsMember({"rst", "fin"}));
    crr->add_option("-t,--threads", threads, "worker threads");
    crr->add_option("--secret", name, "hidden")->group("");
    CLI::App* lab = app.add_subcommand("lab", "a device under test");
    lab->add_subcommand("up", "build it")->add_option("--name", name, "lab NAME");
  }
};

TEST(Manual, EnumValuesComeFromTheFlagsType) {
  SmallApp s;
  const CLI::App* crr = s.app.get_subcommand("crr");
  EXPECT_EQ(enum_values(*crr->get_option("--close")), (std::vector<std::string>{"rst", "fin"}));
  EXPECT_TRUE(enum_values(*crr->get_option("--threads")).empty());
}

TEST(Manual, SubcommandPageHasEveryListedFlagAndTheActions) {
  SmallApp s;
  const std::string crr = subcommand_page(*s.app.get_subcommand("crr"));
  EXPECT_NE(crr.find(".TH \"CONNPERF-CRR\" \"1\""), std::string::npos) << crr;
  EXPECT_NE(crr.find("\\-\\-close"), std::string::npos) << crr;
  EXPECT_NE(crr.find("\\-t,\\-\\-threads"), std::string::npos) << crr;
  EXPECT_EQ(crr.find("secret"), std::string::npos) << "a hidden flag is not listed";
  const std::string lab = subcommand_page(*s.app.get_subcommand("lab"));
  EXPECT_NE(lab.find(".SS \"connperf lab up\""), std::string::npos) << lab;
  EXPECT_NE(lab.find("\\-\\-name"), std::string::npos) << lab;
  EXPECT_NE(main_page(s.app).find("\\fBconnperf\\-lab\\fR(1)"), std::string::npos);
}

TEST(Manual, BashCompletionListsSubcommandsFlagsAndValues) {
  SmallApp s;
  const std::string bash = bash_completion(s.app);
  EXPECT_NE(bash.find("echo 'crr lab'"), std::string::npos) << bash;
  EXPECT_NE(bash.find("'crr --close') echo 'rst fin'"), std::string::npos) << bash;
  EXPECT_NE(bash.find("'crr -t') return 0"), std::string::npos) << bash;
  EXPECT_NE(bash.find("'lab') echo 'up'"), std::string::npos) << bash;
  EXPECT_NE(bash.find("'lab up') echo '-h --help --name'"), std::string::npos) << bash;
  EXPECT_NE(zsh_completion(s.app).find("'*--close[how we close]:value:(rst fin)'"),
            std::string::npos);
}

}  // namespace
}  // namespace connperf::manual
