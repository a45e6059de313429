// `connperf report` pages load in headless Chromium (network disabled) with a mark per interval
// and no errors logged; the first screen, the formatted tables, the no-data messages, the sweep
// and lab tables are in the DOM the browser built (from result files kept in data/report, so no
// load runs); what is not a connperf result is refused.
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "harness.h"

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

// Marks (dots or bars) drawn per series of a chart, in the DOM the browser built.
std::map<std::string, std::size_t> marks(const std::string& dom, const std::string& chart) {
  std::map<std::string, std::size_t> out;
  const auto start = dom.find("data-chart=\"" + chart + "\"");
  if (start == std::string::npos) return out;
  const std::string svg = dom.substr(start, dom.find("</svg>", start) - start);
  const std::regex group("<g class=\"series\" data-series=\"([^\"]*)\"[^>]*>(.*?)</g>");
  for (std::sregex_iterator it(svg.begin(), svg.end(), group), end; it != end; ++it) {
    const std::string body = (*it)[2];
    std::size_t n = 0;
    for (auto at = body.find("class=\"pt"); at != std::string::npos;
         at = body.find("class=\"pt", at + 1))
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

std::string fixture(const std::string& name) {
  return std::string(CONNPERF_TESTS_DIR) + "/integration/data/report/" + name;
}

// Results of every kind as the runs wrote them (kept in data/report: no load runs here).
TEST(ReportIntegration, EveryKindRendersInHeadlessChromiumWithAMarkPerInterval) {
  if (!have_program("chromium")) GTEST_SKIP() << "chromium is not installed (scripts/setup.sh)";
  TempDir dir;
  const json crr = read_json(fixture("crr.json")), rr = read_json(fixture("rr.json")),
             cc = read_json(fixture("cc.json")), sweep = read_json(fixture("sweep.json"));
  const std::string html = dir.file("report.html"), png = dir.file("report.png");
  const RunResult r = run({connperf(), "report", fixture("crr.json"), fixture("rr.json"),
                           fixture("sweep.json"), fixture("cc.json"), "-o", html,
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
  EXPECT_EQ(marks(b.dom, "sweep-rate")["sweep"], sweep["summary"]["steps"].size());
  EXPECT_EQ(marks(b.dom, "sweep-errors")["sweep"], sweep["summary"]["steps"].size());
  EXPECT_GT(marks(b.dom, "crr-distribution")["crr-a"], 0u);
  EXPECT_GE(crr["intervals"].size(), 3u);
}

TEST(ReportIntegration, ModelsRenderOneLinePerModel) {
  if (!have_program("chromium")) GTEST_SKIP() << "chromium is not installed (scripts/setup.sh)";
  TempDir dir;
  const std::string html = dir.file("models.html");
  const RunResult r = run({connperf(), "report", fixture("models.json"), "-o", html, "--title",
                           "models"}, dir.path(), 30s);
  ASSERT_EQ(r.code, 0) << r.err;
  const Browser b = load(dir, html, "");
  ASSERT_EQ(b.code, 0) << b.log;
  EXPECT_EQ(b.log.find("CONSOLE"), std::string::npos) << b.log;
  const json doc = read_json(fixture("models.json"));
  const auto rate = marks(b.dom, "sweep-rate");
  EXPECT_EQ(rate.size(), doc["summary"]["models"].size());
  for (const json& m : doc["summary"]["models"])
    EXPECT_EQ(rate.at("models " + m["model"].get<std::string>()), m["steps"].size());
}


// 12618 → "12,618", written out here rather than taken from the code under test.
std::string grouped(std::uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The rows of one <table data-table=ID> in the DOM, header row included.
std::size_t table_rows(const std::string& dom, const std::string& id) {
  const auto start = dom.find("data-table=\"" + id + "\"");
  if (start == std::string::npos) return 0;
  return occurrences(dom.substr(start, dom.find("</table>", start) - start), "<tr>");
}

Browser report_of(const TempDir& dir, const std::vector<std::string>& files,
                  const std::string& png = "") {
  std::vector<std::string> argv{connperf(), "report"};
  for (const auto& f : files) argv.push_back(fixture(f));
  const std::string html = dir.file("page.html");
  argv.insert(argv.end(), {"-o", html});
  const RunResult r = run(argv, dir.path(), 30s);
  EXPECT_EQ(r.code, 0) << r.err;
  return load(dir, html, png);
}

TEST(ReportIntegration, TheFirstScreenAndTheTablesAreFormattedInHeadlessChromium) {
  if (!have_program("chromium")) GTEST_SKIP() << "chromium is not installed (scripts/setup.sh)";
  TempDir dir;
  const Browser b = report_of(dir, {"crr.json", "sweep.json", "models.json", "cc.json"});
  ASSERT_EQ(b.code, 0) << b.log;
  EXPECT_EQ(b.log.find("CONSOLE"), std::string::npos) << b.log;
  const json crr = read_json(fixture("crr.json"));
  // One headline per run, before the first chart, each with the figures and where and when.
  EXPECT_EQ(occurrences(b.dom, "class=\"headline\""), 4u);
  EXPECT_LT(b.dom.find("class=\"headline\""), b.dom.find("<svg"));
  EXPECT_EQ(occurrences(b.dom, "data-figure=\"rate\""), 3u);  // crr, sweep, models
  for (const char* id : {"p50", "p99", "error_rate", "completed"})
    EXPECT_NE(b.dom.find(std::string("data-figure=\"") + id + "\""), std::string::npos) << id;
  EXPECT_NE(b.dom.find(crr["command_line"].get<std::string>()), std::string::npos);
  EXPECT_NE(b.dom.find("<b>host</b> " + crr["host"].get<std::string>()), std::string::npos);
  const std::string at = crr["started_at"];
  EXPECT_NE(b.dom.find(at.substr(0, 10) + " " + at.substr(11, 8) + " UTC"), std::string::npos);
  const std::string completed = grouped(crr["summary"]["completed"].get<std::uint64_t>());
  EXPECT_NE(b.dom.find(completed + "<span class=\"unit\">of "), std::string::npos);
  // The summary: labelled rows with separators and units, no raw keys.
  EXPECT_NE(b.dom.find("<td>completed</td><td class=\"num\">" + completed + "</td>"),
            std::string::npos);
  EXPECT_NE(b.dom.find("<td>rate (connections/s)</td>"), std::string::npos);
  EXPECT_EQ(b.dom.find("<td>error_total</td>"), std::string::npos);
  EXPECT_GT(table_rows(b.dom, "latency"), 3u);
  // Sweeps and models: a row per plotted step, fairness for models.
  const json models = read_json(fixture("models.json"));
  std::size_t steps = read_json(fixture("sweep.json"))["summary"]["steps"].size();
  for (const json& m : models["summary"]["models"]) steps += m["steps"].size();
  EXPECT_EQ(table_rows(b.dom, "steps"), steps + 1);
  EXPECT_EQ(marks(b.dom, "sweep-fairness")["models iterative"], 3u);
  EXPECT_NE(b.dom.find("<td class=\"num\">1 of 32</td>"), std::string::npos);  // iterative
  EXPECT_NE(b.dom.find("fewest connections answered (iterative)"), std::string::npos);
  EXPECT_GT(marks(b.dom, "crr-distribution")["crr"], 5u);  // bars
}

TEST(ReportIntegration, NothingCompletedIsSaidNotDrawnInHeadlessChromium) {
  if (!have_program("chromium")) GTEST_SKIP() << "chromium is not installed (scripts/setup.sh)";
  TempDir dir;
  const Browser b = report_of(dir, {"none.json"});
  ASSERT_EQ(b.code, 0) << b.log;
  const json none = read_json(fixture("none.json"));
  const std::string started = grouped(none["summary"]["started"].get<std::uint64_t>());
  EXPECT_NE(b.dom.find("nothing completed: " + started + " attempts, " + started +
                       " of them refused"),
            std::string::npos);
  EXPECT_NE(b.dom.find("No response completed: there is no latency to draw."), std::string::npos);
  EXPECT_EQ(b.dom.find("data-chart=\"crr-latency\" viewBox"), std::string::npos);
  EXPECT_EQ(marks(b.dom, "crr-errors")["none errors/s"], none["intervals"].size());
}

TEST(ReportIntegration, ALabRunChartsItsDutAndServerColumnsInHeadlessChromium) {
  if (!have_program("chromium")) GTEST_SKIP() << "chromium is not installed (scripts/setup.sh)";
  TempDir dir;
  const Browser b = report_of(dir, {"lab.json"});
  ASSERT_EQ(b.code, 0) << b.log;
  const json lab = read_json(fixture("lab.json"));
  const std::size_t rows = lab["dut"]["intervals"].size();
  ASSERT_GT(rows, 2u);
  const auto flow = marks(b.dom, "lab-flow");
  EXPECT_EQ(flow.at("client started/s"), rows);
  EXPECT_EQ(flow.at("DUT new connections/s"), rows);
  EXPECT_EQ(flow.at("server accepted/s"), rows);
  EXPECT_EQ(marks(b.dom, "lab-drops").at("DUT lost packets/s"), rows);
  EXPECT_EQ(table_rows(b.dom, "lab"), rows + 1);
  for (const char* column : {"DUT new", "DUT refused", "server accepted", "server rst"})
    EXPECT_NE(b.dom.find(std::string("<th>") + column + "</th>"), std::string::npos) << column;
  const auto accepted = lab["intervals"][0]["server"]["accepted"].get<std::uint64_t>();
  EXPECT_NE(b.dom.find("<td class=\"num\">" + grouped(accepted) + "</td>"), std::string::npos);
  EXPECT_NE(b.dom.find("through lab " + lab["config"]["lab"]["name"].get<std::string>()),
            std::string::npos);
}

}  // namespace
}  // namespace connperf::test
