// The shared flags (cli/flags.h): one -t range for every subcommand, enum flags checked against
// the engines' name tables, and the subcommand table behind --help.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/merge.h"
#include "load/crr.h"
#include "server/server.h"

namespace connperf::cli {
namespace {

// Parses `args` (after the program name) with every subcommand declared, as cli::run does, but
// runs nothing: throws CLI::ParseError on a usage error.
struct Parser {
  CLI::App app;
  CrrOptions crr;
  RrOptions rr;
  CcOptions cc;
  ServerOptions server;
  ProxyOptions proxy;
  ModelsOptions models;
  DoctorOptions doctor;

  Parser() {
    add_crr(app, crr);
    add_rr(app, rr);
    add_cc(app, cc);
    add_server(app, server);
    add_proxy(app, proxy);
    add_models(app, models);
    add_doctor(app, doctor);
  }
  void parse(std::vector<std::string> args) {
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11's vector order
    app.parse(reversed);
  }
};

// The subcommands that take -t, with what else each needs to parse.
const std::vector<std::vector<std::string>> kWithThreads = {
    {"crr", "127.0.0.1:1"}, {"rr", "127.0.0.1:1"}, {"cc", "127.0.0.1:1"},
    {"server"},             {"proxy"},             {"models"}};

TEST(Flags, ThreadsTakeOneRangeEverywhere) {
  for (const auto& base : kWithThreads) {
    Parser p;
    auto args = base;
    args.insert(args.end(), {"-t", "512"});
    EXPECT_NO_THROW(p.parse(args)) << base[0];
  }
  Parser p;
  p.parse({"cc", "127.0.0.1:1", "-t", "1024"});
  EXPECT_EQ(p.cc.threads, kMaxThreads);
}

TEST(Flags, ThreadsOutOfRangeAreUsageErrors) {
  for (const auto& base : kWithThreads)
    for (const char* bad : {"0", "2000", "-1", "x"}) {
      Parser p;
      auto args = base;
      args.insert(args.end(), {"-t", bad});
      EXPECT_THROW(p.parse(args), CLI::ParseError) << base[0] << " -t " << bad;
    }
}

TEST(Flags, ThreadsOutOfRangeExitWithUsage) {
  for (const auto& base : kWithThreads) {
    std::vector<std::string> args{"connperf"};
    args.insert(args.end(), base.begin(), base.end());
    args.insert(args.end(), {"-t", "2000"});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    EXPECT_EQ(run(static_cast<int>(argv.size()), argv.data()), kUsage) << base[0];
  }
}

TEST(Flags, EnumFlagsTakeTheEnginesNames) {
  for (std::string_view m : server::kModelNames)
    EXPECT_NO_THROW(Parser().parse({"server", "--model", std::string(m)})) << m;
  for (std::string_view m : server::kModeNames)
    EXPECT_NO_THROW(Parser().parse({"server", "--mode", std::string(m)})) << m;
  for (std::string_view c : load::kCloseNames) {
    EXPECT_NO_THROW(Parser().parse({"crr", "127.0.0.1:1", "--close", std::string(c)})) << c;
    EXPECT_NO_THROW(Parser().parse({"doctor", "--close", std::string(c)})) << c;
  }
  EXPECT_NO_THROW(Parser().parse({"models", "--mode", "echo"}));
}

TEST(Flags, EnumFlagsRefuseUnknownValues) {
  EXPECT_THROW(Parser().parse({"server", "--model", "select"}), CLI::ParseError);
  EXPECT_THROW(Parser().parse({"server", "--mode", "bogus"}), CLI::ParseError);
  EXPECT_THROW(Parser().parse({"crr", "127.0.0.1:1", "--close", "shutdown"}), CLI::ParseError);
  EXPECT_THROW(Parser().parse({"doctor", "--close", "RST"}), CLI::ParseError);
  EXPECT_THROW(Parser().parse({"models", "--mode", "discard"}), CLI::ParseError);  // no reply
}

TEST(Flags, EnumTablesRoundTrip) {
  for (std::string_view m : server::kModelNames) EXPECT_EQ(to_string(*server::parse_model(m)), m);
  for (std::string_view m : server::kModeNames) EXPECT_EQ(to_string(*server::parse_mode(m)), m);
  for (std::string_view c : load::kCloseNames) EXPECT_EQ(to_string(*load::parse_close(c)), c);
  EXPECT_FALSE(load::parse_close("both"));
}

TEST(Flags, DurationsAreCheckedAtParse) {
  EXPECT_NO_THROW(Parser().parse({"server", "-d", "500ms"}));
  EXPECT_NO_THROW(Parser().parse({"crr", "127.0.0.1:1", "-d", "2m", "--interval", "0.5s"}));
  EXPECT_THROW(Parser().parse({"server", "-d", "abc"}), CLI::ParseError);
  EXPECT_THROW(Parser().parse({"rr", "127.0.0.1:1", "-d", "-1"}), CLI::ParseError);
  EXPECT_THROW(Parser().parse({"crr", "127.0.0.1:1", "--interval", "1x"}), CLI::ParseError);
}

// What parsing a bad value says, or "" when it parses.
std::string parse_error(std::vector<std::string> args) {
  Parser p;
  try {
    p.parse(std::move(args));
  } catch (const CLI::ParseError& e) {
    return e.what();
  }
  return "";
}

TEST(Flags, BoundsAreSaidAsUsersReadThem) {
  EXPECT_EQ(parse_error({"doctor", "--rate", "abc"}), "--rate: abc is not a number more than 0");
  EXPECT_EQ(parse_error({"crr", "127.0.0.1:1", "-t", "2000"}), "--threads: 2000 is not in 1..1024");
  EXPECT_EQ(parse_error({"crr", "127.0.0.1:1", "-n", "0"}), "--count: 0 is not at least 1");
  CLI::App app;
  CrrOptions o;
  add_crr(app, o);
  const std::string help = app.get_subcommand("crr")->help();
  EXPECT_EQ(help.find("18446744073709551615"), std::string::npos) << help;
  EXPECT_NE(help.find("--timeout MS"), std::string::npos) << help;
  EXPECT_NE(help.find("-d,--duration SECONDS"), std::string::npos) << help;
}

TEST(Flags, BindTakesOneValueSoATargetAfterItStaysATarget) {
  Parser p;
  p.parse({"crr", "--bind", "127.0.0.2", "127.0.0.1:9"});
  EXPECT_EQ(p.crr.to.binds, std::vector<std::string>{"127.0.0.2"});
  EXPECT_EQ(p.crr.to.targets, std::vector<std::string>{"127.0.0.1:9"});
  Parser q;
  q.parse({"rr", "--bind", "127.0.0.2", "--bind", "127.0.0.3", "127.0.0.1:9"});
  EXPECT_EQ(q.rr.to.binds.size(), 2u);
}

TEST(Flags, TimeoutsTakeUnits) {
  Parser p;
  p.parse({"crr", "127.0.0.1:1", "--timeout", "1s"});
  EXPECT_EQ(p.crr.run.timeout_ns(), 1'000'000'000u);
  Parser q;
  q.parse({"cc", "127.0.0.1:1", "--timeout", "250"});
  EXPECT_EQ(timeout_ns(q.cc.timeout, kBareMs), 250'000'000u);
  EXPECT_NE(parse_error({"rr", "127.0.0.1:1", "--timeout", "0"}), "");
}

// cli::run on `args` (after the program name): its exit code and what it wrote to stderr.
std::pair<int, std::string> run_cli(std::vector<std::string> args) {
  args.insert(args.begin(), "connperf");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  testing::internal::CaptureStderr();
  const int rc = run(static_cast<int>(argv.size()), argv.data());
  return {rc, testing::internal::GetCapturedStderr()};
}

TEST(Flags, LabMistakesAreUsageErrorsWithAHint) {
  const auto [rc, err] = run_cli({"lab", "run", "--name", "x", "-d", "3", "--", "crr"});
  EXPECT_EQ(rc, kUsage);
  EXPECT_NE(err.find("the load and its flags go after --"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  const auto [bad, why] = run_cli({"lab", "up", "--name", "Bad_Name"});
  EXPECT_EQ(bad, kUsage);
  EXPECT_NE(why.find("--name"), std::string::npos) << why;
}

TEST(Flags, AFlagGivenTwiceIsSaidPlainly) {
  const auto [rc, err] = run_cli({"server", "--model", "epoll", "--model", "thread"});
  EXPECT_EQ(rc, kUsage);
  EXPECT_EQ(err, "connperf: --model: given more than once\n");
}

TEST(Flags, HelpListsEverySubcommandInTableOrder) {
  char name[] = "connperf";
  char help[] = "--help";
  char* argv[] = {name, help};
  testing::internal::CaptureStdout();
  EXPECT_EQ(run(2, argv), 0);
  const std::string out = testing::internal::GetCapturedStdout();
  const std::vector<std::string> names = subcommand_names();
  ASSERT_EQ(names.size(), 15u);
  std::size_t at = out.find("Subcommands:");
  ASSERT_NE(at, std::string::npos) << out;
  for (const std::string& n : names) {
    const std::size_t next = out.find("\n  " + n + " ", at);
    ASSERT_NE(next, std::string::npos) << n << " missing or out of order in:\n" << out;
    at = next;
  }
}

}  // namespace
}  // namespace connperf::cli
