// `connperf report` pages load in headless Chromium (network disabled) with a mark per interval
// and no errors logged; what is not a connperf result is refused.
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "harness.h"
#include "models_run.h"

namespace connperf::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

TEST(ReportIntegration, RefusesWhatIsNotAConnperfResult) {
  TempDir dir;
  const std::string bad = dir.file("wrk.json");
  std::ofstream(bad) << R"({"tool":"wrk","requests":10})";
  const RunResult r = run({connperf(), "report", bad, "-o", dir.file("r.html")}, dir.path(), 10s);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("not a connperf result"), std::string::npos) << r.err;
}

// Headless Chromium with the network disabled: the page as the browser parsed it, a screenshot,
// (unless `png` is empty) and what it logged.
struct Browser {
  std::string dom, log;
  int code;
};

std::vector<std::string> chromium_args(const TempDir& dir) {
  return {"/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
          "--no-first-run", "--user-data-dir=" + dir.file("chromium"),
          "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
          "--enable-logging=stderr", "--v=0"};
}

Browser load(const TempDir& dir, const std::string& html, const std::string& png) {
  std::vector<std::string> dump = chromium_args(dir);
  dump.insert(dump.end(), {"--dump-dom", "file://" + html});
  const RunResult d = run(dump, dir.path(), 30s);
  if (png.empty()) return {d.out, d.err, d.code};
  std::vector<std::string> shot = chromium_args(dir);
  shot.insert(shot.end(), {"--window-size=900,2400", "--screenshot=" + png, "file://" + html});
  const RunResult s = run(shot, dir.path(), 30s);
  return {d.out, d.err + s.err, d.code == 0 && s.code == 0 ? 0 : 1};
}

// Dots drawn per series of a chart, in the DOM the browser built.
std::map<std::string, std::size_t> marks(const std::string& dom, const std::string& chart) {
  std::map<std::string, std::size_t> out;
  const auto start = dom.find("data-chart=\"" + chart + "\"");
  if (start == std::string::npos) return out;
  const std::string svg = dom.substr(start, dom.find("</svg>", start) - start);
  const std::regex group("<g class=\"series\" data-series=\"([^\"]*)\"[^>]*>(.*?)</g>");
  for (std::sregex_iterator it(svg.begin(), svg.end(), group), end; it != end; ++it) {
    const std::string body = (*it)[2];
    std::size_t n = 0;
    for (auto at = body.find("<circle"); at != std::string::npos; at = body.find("<circle", at + 1))
      ++n;
    out[(*it)[1]] = n;
  }
  return out;
}

std::size_t with_data(const json& doc) {
  std::size_t n = 0;
  for (const json& iv : doc["intervals"])
    if (iv["started"].get<double>() + iv["completed"].get<double>() + iv["errors"].get<double>() > 0)
      ++n;
  return n;
}

TEST(ReportIntegration, EveryKindRendersInHeadlessChromiumWithAMarkPerInterval) {
  if (!have_program("chromium")) GTEST_SKIP() << "chromium is not installed (scripts/setup.sh)";
  TempDir dir;
  ServerProcess server(dir, {"--mode", "http"});
  auto result = [&](const std::string& name, std::vector<std::string> args) {
    std::vector<std::string> argv{connperf()};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"-q", "--json", dir.file(name)});
    const RunResult r = run(argv, dir.path(), 60s);
    EXPECT_EQ(r.code, 0) << r.err;
    return read_json(dir.file(name));
  };
  const json crr = result("crr.json", {"crr", server.target(), "-c", "4", "-d", "2",
                                       "--interval", "0.5"});
  const json rr = result("rr.json", {"rr", server.target(), "-c", "2", "-d", "1.5",
                                     "--interval", "0.5"});
  const json sweep = result("sweep.json", {"rr", server.target(), "--sweep", "1,2,3", "-d", "0.3",
                                           "--warmup", "0.1"});
  const json cc = result("cc.json", {"cc", server.target(), "-n", "20", "--hold", "1",
                                     "--interval", "0.5"});
  server.stop();
  const std::string html = dir.file("report.html"), png = dir.file("report.png");
  const RunResult r = run({connperf(), "report", dir.file("crr.json"), dir.file("rr.json"),
                           dir.file("sweep.json"), dir.file("cc.json"), "-o", html,
                           "--label", "crr-a", "--label", "rr-a"},
                          dir.path(), 30s);
  ASSERT_EQ(r.code, 0) << r.err;
  const Browser b = load(dir, html, png);
  ASSERT_EQ(b.code, 0) << b.log;
  EXPECT_NE(b.dom.find("<svg"), std::string::npos);
  EXPECT_EQ(b.log.find("CONSOLE"), std::string::npos) << b.log;
  EXPECT_EQ(b.log.find("Uncaught"), std::string::npos) << b.log;
  EXPECT_GT(read_file(png).size(), 10'000u) << "no screenshot";
  EXPECT_EQ(read_file(png).substr(1, 3), "PNG");

  EXPECT_EQ(marks(b.dom, "crr-rate")["crr-a"], with_data(crr)) << crr["intervals"].dump();
  EXPECT_EQ(marks(b.dom, "crr-latency")["crr-a p99"], with_data(crr));
  EXPECT_EQ(marks(b.dom, "rr-rate")["rr-a"], with_data(rr));
  EXPECT_EQ(marks(b.dom, "cc-open")["cc open"], cc["intervals"].size());
  EXPECT_EQ(marks(b.dom, "sweep-rate")["sweep"], 3u);
  EXPECT_EQ(marks(b.dom, "sweep-errors")["sweep"], 3u);
  EXPECT_GT(marks(b.dom, "crr-distribution")["crr-a"], 0u);
  EXPECT_GE(crr["intervals"].size(), 3u);
}

TEST(ReportIntegration, ModelsRenderOneLinePerModel) {
  if (!have_program("chromium")) GTEST_SKIP() << "chromium is not installed (scripts/setup.sh)";
  TempDir dir;
  run_models(dir, "epoll,thread", "1,2");
  const std::string html = dir.file("models.html");
  const RunResult r = run({connperf(), "report", dir.file("models.json"), "-o", html, "--title",
                           "models"}, dir.path(), 30s);
  ASSERT_EQ(r.code, 0) << r.err;
  const Browser b = load(dir, html, "");
  ASSERT_EQ(b.code, 0) << b.log;
  EXPECT_EQ(b.log.find("CONSOLE"), std::string::npos) << b.log;
  const auto rate = marks(b.dom, "sweep-rate");
  EXPECT_EQ(rate.size(), 2u);
  EXPECT_EQ(rate.at("models epoll"), 2u);
  EXPECT_EQ(rate.at("models thread"), 2u);
}

}  // namespace
}  // namespace connperf::test
