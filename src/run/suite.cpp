#include "run/suite.h"

#include <cmath>
#include <cstdio>

#include <fmt/format.h>

#include "report/html.h"
#include "run/duration.h"
#include "result/document.h"
#include "stats/format.h"

namespace connperf::run {

namespace {

using nlohmann::json;

// The RFC's bound on failed transactions (7.N.3.3 a: fewer than 0.001 %) is also the search's:
// the maximum it reports is one the confirmation run can pass.
constexpr const char* kRfcErrorBound = "0.00001";

Args search_args(const SuiteTest& t, const SuiteSettings& p) {
  Args a = t.load;
  a.insert(a.end(), {"--search", "-d", p.search_step, "--max-error-rate", kRfcErrorBound,
                     "--max-p99", p.max_p99, "--search-precision", "0.1", "--search-steps", "12"});
  return a;
}

std::string joined(const Args& args) {
  Args words{"connperf"};
  words.insert(words.end(), args.begin(), args.end());
  return result::shell_words(words);
}

const json& figures_of(const json& summary) {
  return summary.contains("sustain") ? summary["sustain"] : summary;
}

json latency_kpis(const json& latency) {
  json out = json::object();
  for (const char* phase : {"connect", "tls", "ttfb", "ttlb", "response"}) {
    if (!latency.contains(phase) || latency[phase].value("count", 0) == 0) continue;
    const json& l = latency[phase];
    out[phase] = {{"mean", l.value("mean", 0.0)}, {"p50", l.value("p50", 0)},
                  {"p99", l.value("p99", 0)}, {"max", l.value("max", 0)}};
  }
  return out;
}

// One line of the closing table for a test.
std::string kpi_text(const json& k) {
  std::string s;
  if (k.contains("rate"))
    s += fmt::format("{} {}/s", stats::format_rate(k["rate"].get<double>()),
                     k["unit"].get<std::string>());
  if (k.contains("established"))
    s += fmt::format("{} held, {} lost", stats::format_count(k["established"].get<std::uint64_t>()),
                     stats::format_count(k["lost"].get<std::uint64_t>()));
  if (k.contains("goodput_bytes_per_s"))
    s += fmt::format(", {}/s", stats::format_bytes(k["goodput_bytes_per_s"].get<std::uint64_t>()));
  if (k.contains("latency_us") && k["latency_us"].contains("ttlb"))
    s += fmt::format(", ttlb p99 {}",
                     stats::format_us(k["latency_us"]["ttlb"]["p99"].get<std::uint64_t>()));
  return s;
}

std::string row(const json& t) {
  const bool pass = t["verdict"].value("pass", false);
  return fmt::format("  {:<4} {:<53} {:<38} {}\n", t["section"].get<std::string>(),
                     t["title"].get<std::string>(), kpi_text(t["kpis"]),
                     t.value("interrupted", false) ? "interrupted" : pass ? "PASS" : "FAIL");
}

// The test's search, when it has one: the highest rate within the RFC's error bound (0 when none
// held), and its summary in the test's JSON.
double searched_rate(const SuitePlan& plan, const SuiteTest& t, OutputSettings settings, json& test) {
  json doc;
  settings.keep = &doc;
  const Args args = plan.place(search_args(t, plan.settings));
  test["search_command_line"] = joined(args);
  run_search(plan.search(args), settings);
  test["search"] = doc["summary"]["search"];
  if (doc.value("interrupted", false)) test["interrupted"] = true;
  return doc["summary"]["search"]["pdr"].value("rate", 0.0);
}

// The test's load at `rate` (0: its own), driven to the end; its result document.
json run_at(const SuitePlan& plan, const SuiteTest& t, double rate, const OutputSettings& settings,
            StopSignals& signals) {
  const Args args = plan.place(test_args(t, plan.settings, rate));
  json doc;
  Prepared p = plan.prepare(args);
  p.plan.out = settings;
  p.plan.out.keep = &doc;
  drive(*p.job, p.plan, signals);
  doc["command_line"] = joined(args);
  return doc;
}

// A test that ran no load: failed, with the reason.
json unjudged(json test, const char* reason) {
  test["verdict"] = {{"pass", false}, {"reason", reason}};
  test["kpis"] = json::object();
  return test;
}

// Runs one test: its search (or the rate an earlier test found), then its load in phases. A
// searched rate that misses the criteria over the longer run is tried again 10 % lower, twice
// (RFC 9411's step 3: the achievable rate within the validation criteria).
json run_test(const SuitePlan& plan, const SuiteTest& t, const OutputSettings& settings,
              std::map<std::string, double>& rates, StopSignals& signals, Output& out) {
  json test = {{"name", t.name}, {"section", t.section}, {"title", t.title}};
  out.text(fmt::format("\n== RFC 9411 {} {} ==\n", t.section, t.title));
  double rate = 0;
  if (t.search) rate = searched_rate(plan, t, settings, test);
  if (const auto it = rates.find(t.share_of); it != rates.end()) rate = it->second * t.share;
  if (test.value("interrupted", false))  // a signal cut the search: no load, no verdict
    return unjudged(std::move(test), "interrupted");
  if ((t.search || (!t.share_of.empty() && t.share_needed)) && rate <= 0)
    return unjudged(std::move(test), "no rate held the RFC's error bound (0.001%)");
  json doc, attempts = json::array();
  for (int left = t.search ? 3 : 1; left > 0; --left, rate *= 0.9) {
    rate = std::round(rate);  // the rate as --rate says it
    if (!attempts.empty())
      out.text(fmt::format("\n== {} missed its criteria at {:.0f}/s: again at {:.0f}/s ==\n",
                           t.section, attempts.back()["rate"].get<double>(), rate));
    doc = run_at(plan, t, rate, settings, signals);
    const bool pass = doc.contains("verdict") && doc["verdict"].value("pass", false);
    attempts.push_back({{"rate", rate}, {"pass", pass}});
    if (pass || doc.value("interrupted", false)) break;
  }
  rates[t.name] = attempts.back()["rate"];
  if (doc.value("interrupted", false)) test["interrupted"] = true;
  test["command_line"] = doc["command_line"];
  if (t.search) test["attempts"] = std::move(attempts);
  test["kpis"] = test_kpis(t, doc);
  test["verdict"] = doc.contains("verdict") ? doc["verdict"] : json{{"pass", false}};
  test["result"] = std::move(doc);
  return test;
}

void write_page(const std::string& path, const json& doc) {
  const std::string page = report::render_html({report::Run{"suite", doc}}, "RFC 9411 suite");
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f || std::fwrite(page.data(), 1, page.size(), f) != page.size() || std::fclose(f) != 0)
    throw RunError("-o " + path + ": cannot write");
}

}  // namespace

std::vector<SuiteTest> rfc9411_tests(unsigned connections, unsigned rr_connections, bool tls) {
  const std::string n = std::to_string(connections), c = std::to_string(rr_connections);
  std::vector<SuiteTest> tests{
      {.name = "cps", .section = "7.2", .title = "TCP/HTTP connections per second",
       .load = {"crr", "--close", "fin"}, .search = true},
      {.name = "throughput", .section = "7.3", .title = "HTTP throughput",
       .load = {"rr", "-c", c}, .search = true},
      {.name = "latency", .section = "7.4", .title = "HTTP transaction latency",
       .load = {"crr", "--close", "fin"}, .share_of = "cps", .share = 0.5},
      {.name = "concurrency", .section = "7.5", .title = "Concurrent TCP connection capacity",
       .load = {"cc", "-n", n, "--keepalive", "1", "--request", "http"}, .share_of = "cps",
       .share = 0.5, .share_needed = false, .phased = false,
       // a held connection the device ends is one "terminated" (7.5.3.3 b) whatever the packet
       .criteria = "rfc9411,lost<0.001%"},
  };
  if (!tls) return tests;
  const char* https[] = {"TCP connections per second with HTTPS traffic", "HTTPS throughput",
                         "HTTPS transaction latency",
                         "Concurrent TCP connection capacity with HTTPS traffic"};
  for (std::size_t i = 0; i < tests.size(); ++i) {  // 7.6 to 7.9: the same with TLS
    tests[i].section = fmt::format("7.{}", 6 + i);
    tests[i].title = https[i];
    tests[i].load.push_back("--tls");
  }
  return tests;
}

Args test_args(const SuiteTest& t, const SuiteSettings& p, double rate) {
  Args a = t.load;
  if (t.phased) {
    a.insert(a.end(), {"--ramp-up", p.ramp_up, "--sustain", p.sustain, "--ramp-down", p.ramp_down});
    if (rate > 0) a.insert(a.end(), {"--rate", fmt::format("{:.0f}", rate)});
  } else {  // cc: opens its connections at the rate (else over the ramp-up), then holds them
    const double ramp = rate > 0 ? rate : std::stod(t.load[2]) / parse_seconds("--ramp-up", p.ramp_up);
    a.insert(a.end(), {"--ramp", fmt::format("{:.0f}", ramp), "--hold", p.sustain});
  }
  a.insert(a.end(), {"--criteria", t.criteria});
  return a;
}

json test_kpis(const SuiteTest& t, const json& result) {
  if (!result.contains("summary")) return json::object();
  const json& s = result["summary"];
  if (t.load[0] == "cc")
    return {{"established", s.value("established", 0)}, {"survived", s.value("survived", 0)},
            {"lost", s.value("lost", 0)}, {"failed", s.value("failed", 0)},
            // null when it never had them all open (json's value() throws on a null number)
            {"time_to_reach_s", s.contains("time_to_reach_s") ? s["time_to_reach_s"] : json()}};
  const json& f = figures_of(s);
  const bool crr = t.load[0] == "crr";
  const double started = f.value("started", 0.0);
  json k = {{"rate", f.value(crr ? "cps" : "qps", 0.0)},
            {"unit", crr ? "connections" : "requests"},
            {"completed", f.value(crr ? "completed" : "requests", 0)},
            {"errors", f.value("error_total", 0)},
            {"error_rate", started > 0 ? f.value("error_total", 0.0) / started : 0.0},
            {"latency_us", latency_kpis(f["latency_us"])}};
  if (result.contains("config") && result["config"].contains("object"))
    k["goodput_bytes_per_s"] = f.value("goodput_bytes_per_s", 0.0);  // --object: RFC 7.3's KPI
  if (s.contains("tls")) k["tls"] = s["tls"];  // handshakes: full, resumed, version, cipher
  return k;
}

int run_suite(const SuitePlan& plan, const OutputSettings& settings, StopSignals& signals) {
  Output out(settings, "suite", plan.config);
  OutputSettings each = settings;  // each test prints its table; the suite writes the files
  each.json.clear();
  each.ndjson.clear();
  each.hdr_log.clear();
  std::map<std::string, double> rates;
  json tests = json::array();
  std::string table;
  bool interrupted = false;
  for (const SuiteTest& t : plan.tests) {
    json test = run_test(plan, t, each, rates, signals, out);
    table += row(test);
    interrupted = test.value("interrupted", false);
    json event = test;
    event.erase("result");
    out.step(event, "");
    tests.push_back(std::move(test));
    if (interrupted) break;
  }
  std::size_t passed = 0;
  for (const json& t : tests) passed += t["verdict"].value("pass", false) ? 1 : 0;
  const bool pass = passed == plan.tests.size();
  out.text(fmt::format("\nRFC 9411 suite: {} ({} of {} tests passed{})\n{}", pass ? "PASS" : "FAIL",
                       passed, plan.tests.size(), interrupted ? ", interrupted" : "", table));
  json& doc = out.document();
  doc["suite"] = plan.suite;
  doc["tests"] = std::move(tests);
  doc["summary"] = {{"verdict", pass ? "PASS" : "FAIL"}, {"passed", passed},
                    {"tests", plan.tests.size()}, {"interrupted", interrupted}};
  if (interrupted) doc["interrupted"] = true;
  out.end();
  if (!plan.html.empty()) write_page(plan.html, doc);
  return pass ? kOk : kErrorRate;
}

}  // namespace connperf::run
