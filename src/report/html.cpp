#include "report/html.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "report/chart.h"
#include "report/json_view.h"
#include "report/page_parts.h"
#include "stats/format.h"

namespace connperf::report {

namespace {

using nlohmann::json;

// An interval in which nothing started, completed or failed has no data: a gap.
bool empty_interval(const json& iv, const std::string& kind) {
  if (kind == "cc") return false;
  return number(iv, "started") == 0 && number(iv, "completed") == 0 && number(iv, "errors") == 0;
}

Series time_series(const Source& s, const std::string& label,
                   const std::function<std::optional<double>(const json&)>& value) {
  Series out{label, run_color(s.index), {}, false, false, true};
  for (const json& iv : field(s.run->doc, "intervals")) {
    std::optional<double> y;
    if (!empty_interval(iv, s.kind)) y = value(iv);
    out.points.push_back({number(iv, "t"), y});
  }
  return out;
}

double per_second(const json& iv, const char* key) {
  return number(iv, key) / std::max(number(iv, "seconds"), 1e-9);
}

std::string rate_chart(const std::vector<Source>& runs, const std::string& kind) {
  Chart c{kind + "-rate", kind == "rr" ? "Requests per second" : "New connections per second",
          {"time (s)", Unit::Seconds, false},
          {kind == "rr" ? "requests/s" : "connections/s", Unit::Count, false}, {}};
  const char* key = kind == "rr" ? "qps" : "cps";
  for (const Source& s : runs)
    c.series.push_back(time_series(s, s.run->label, [key](const json& iv) {
      return number(iv, key);
    }));
  return render_svg(c);
}

// Errors on their own axis: ten a second stay visible beside forty thousand completions.
std::string errors_chart(const std::vector<Source>& runs, const std::string& kind) {
  Chart c{kind + "-errors", "Errors per second (own scale)", {"time (s)", Unit::Seconds, false},
          {"errors/s", Unit::Count, false}, {}};
  double errors = 0;
  for (const Source& s : runs) {
    for (const json& iv : field(s.run->doc, "intervals")) errors += number(iv, "errors");
    c.series.push_back(time_series(s, s.run->label + " errors/s", [](const json& iv) {
      return per_second(iv, "errors");
    }));
    c.series.back().area = true;
  }
  if (errors == 0)
    return fmt::format("<figure class=\"nodata\" data-chart=\"{}\"><figcaption>{}</figcaption>"
                       "<p class=\"nodata\">No errors in this run.</p></figure>\n",
                       escape(c.id), escape(c.title));
  return render_svg(c);
}

std::string latency_chart(const std::vector<Source>& runs, const std::string& kind) {
  Chart c{kind + "-latency", "Response latency per interval: p50 (solid) and p99 (dashed)",
          {"time (s)", Unit::Seconds, false}, {"latency", Unit::Micros, true}, {}};
  c.empty_text = "No response completed: there is no latency to draw.";
  for (const Source& s : runs)
    for (const char* p : {"p50", "p99"}) {
      Series line = time_series(s, s.run->label + " " + p,
                                [p](const json& iv) -> std::optional<double> {
        if (number(iv, "completed") == 0) return std::nullopt;  // no response, no latency
        return std::max(number(field(iv, "response_us"), p), 1.0);
      });
      line.dashed = std::string(p) == "p99";
      c.series.push_back(std::move(line));
    }
  return render_svg(c);
}

// The share of samples per bin of a log axis (10 bins a decade), from the sparse buckets.
Series distribution(const Source& s, const json& h) {
  std::map<int, double> bins;
  const double total = number(h, "count");
  for (const json& b : field(h, "buckets")) {
    if (!b.is_array() || b.size() != 2 || !b[0].is_number() || !b[1].is_number()) continue;
    const double low = std::max(b[0].get<double>(), 1.0);
    bins[static_cast<int>(std::floor(std::log10(low) * 10))] += b[1].get<double>();
  }
  Series out{s.run->label, run_color(s.index), {}, false, false, false, true};
  if (bins.empty() || total <= 0) return out;
  for (int k = bins.begin()->first; k <= bins.rbegin()->first; ++k) {
    const auto it = bins.find(k);
    out.points.push_back({std::pow(10.0, (k + 0.5) / 10),
                          (it == bins.end() ? 0.0 : it->second) / total});
  }
  return out;
}

std::string distribution_chart(const std::vector<Source>& runs, const std::string& kind) {
  const char* which = kind == "rr" ? "response" : "total";
  Chart c{kind + "-distribution",
          fmt::format("Latency distribution ({} latency, share of all samples per bin)", which),
          {"latency (log scale)", Unit::Micros, true}, {"share of samples", Unit::Ratio, false},
          {}};
  c.empty_text = "No response completed: there is no latency distribution.";
  for (const Source& s : runs) {
    const json& h = field(field(s.run->doc, "summary"), "histograms");
    if (h.is_object() && h.contains(which)) c.series.push_back(distribution(s, h[which]));
  }
  if (c.series.empty()) return "<p class=\"nodata\">No histograms in these results.</p>\n";
  return render_svg(c);
}

std::string cc_chart(const std::vector<Source>& runs) {
  Chart c{"cc-open", "Open connections, attempts and failures per interval",
          {"time (s)", Unit::Seconds, false}, {"connections", Unit::Count, false}, {}};
  for (const Source& s : runs) {
    c.series.push_back(time_series(s, s.run->label + " failed",
                                   [](const json& iv) { return number(iv, "failed"); }));
    c.series.back().area = true;
  }
  for (const Source& s : runs)
    c.series.push_back(time_series(s, s.run->label + " open",
                                   [](const json& iv) { return number(iv, "open"); }));
  return render_svg(c);
}

// A lab run: the client's, the DUT's and the server's counts of each interval side by side.
// dut.intervals[i] and intervals[i] were read at the same tick (their skew is in skew_us).
struct LabRow {
  const json* client;
  const json* dut;
};

std::vector<LabRow> lab_rows(const json& doc) {
  std::vector<LabRow> out;
  const json& ivs = field(doc, "intervals");
  const json& dut = field(field(doc, "dut"), "intervals");
  for (std::size_t i = 0; ivs.is_array() && dut.is_array() && i < ivs.size() && i < dut.size(); ++i)
    out.push_back({&ivs[i], &dut[i]});
  return out;
}

enum class LabSide { Client, Dut, Server };

struct LabLine {
  const char* label;
  LabSide side;
  const char* key;
};

std::string lab_chart(const Source& s, const std::string& id, const std::string& title,
                      const std::vector<LabLine>& lines) {
  Chart c{id, title, {"time (s)", Unit::Seconds, false}, {"per second", Unit::Count, false}, {}};
  const std::vector<LabRow> rows = lab_rows(s.run->doc);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    Series line{lines[i].label, run_color(i), {}, false, false, true};
    for (const LabRow& r : rows) {
      const json& from = lines[i].side == LabSide::Dut      ? *r.dut
                         : lines[i].side == LabSide::Server ? field(*r.client, "server")
                                                            : *r.client;
      line.points.push_back({number(*r.client, "t"),
                             number(from, lines[i].key) /
                                 std::max(number(*r.client, "seconds"), 1e-9)});
    }
    c.series.push_back(std::move(line));
  }
  return render_svg(c);
}

std::string lab_table(const Source& s) {
  std::vector<std::vector<std::string>> rows;
  for (const LabRow& r : lab_rows(s.run->doc)) {
    const json& c = *r.client;
    const json& srv = field(c, "server");
    rows.push_back({duration_text(number(c, "t")), count_text(number(c, "started")),
                    count_text(number(c, "completed")), count_text(number(c, "errors")),
                    count_text(number(*r.dut, "new")), count_text(number(*r.dut, "entries")),
                    count_text(number(*r.dut, "refused")), count_text(number(*r.dut, "reset")),
                    count_text(number(*r.dut, "lost")), count_text(number(srv, "accepted")),
                    count_text(number(srv, "rst")), count_text(number(srv, "fin")),
                    count_text(number(srv, "active"))});
  }
  return html_table("lab", {"time", "client started", "completed", "errors", "DUT new",
                            "DUT entries", "DUT refused", "DUT reset", "DUT lost packets",
                            "server accepted", "server rst", "server fin", "server open"},
                    rows);
}

std::string lab_section(const std::vector<Source>& runs) {
  std::string out;
  for (const Source& s : runs) {
    if (lab_rows(s.run->doc).empty()) continue;
    out += "<h3>Through the device under test (" + escape(s.run->label) +
           ")</h3><div class=\"charts\">";
    out += lab_chart(s, "lab-flow", "Client, DUT and server per second",
                     {{"client started/s", LabSide::Client, "started"},
                      {"DUT new connections/s", LabSide::Dut, "new"},
                      {"server accepted/s", LabSide::Server, "accepted"},
                      {"client completed/s", LabSide::Client, "completed"}});
    out += lab_chart(s, "lab-drops", "What the DUT and the client lost per second",
                     {{"DUT refused/s", LabSide::Dut, "refused"},
                      {"DUT reset/s", LabSide::Dut, "reset"},
                      {"DUT lost packets/s", LabSide::Dut, "lost"},
                      {"DUT conntrack drops/s", LabSide::Dut, "conntrack_drops"},
                      {"client errors/s", LabSide::Client, "errors"}});
    out += "</div>" + lab_table(s);
  }
  return out;
}

std::string interval_section(const std::vector<Source>& runs, const std::string& kind) {
  std::string out = fmt::format("<section data-kind=\"{0}\"><h2>{0}</h2>\n<div class=\"charts\">",
                                kind);
  if (kind == "cc") {
    out += cc_chart(runs) + "</div>";
  } else {
    out += rate_chart(runs, kind) + errors_chart(runs, kind) + latency_chart(runs, kind) +
           distribution_chart(runs, kind) + "</div>";
    out += lab_section(runs);
  }
  out += summary_tables(runs) + config_table(runs);
  return out + "</section>\n";
}

// The criteria a test missed, or its reason when it has no verdict of criteria.
std::string missed_text(const json& verdict) {
  std::string out;
  for (const json& c : verdict.value("criteria", json::array()))
    if (!c.value("pass", false)) out += (out.empty() ? "" : ", ") + c.value("criterion", "");
  return out.empty() ? verdict.value("reason", "") : out;
}

std::string kpi_cell(const json& k) {
  if (k.contains("established"))
    return fmt::format("{} held, {} lost", stats::format_count(k.value("established", 0)),
                       stats::format_count(k.value("lost", 0)));
  if (!k.contains("rate")) return "";
  std::string cell =
      fmt::format("{} {}/s", stats::format_rate(k.value("rate", 0.0)), k.value("unit", ""));
  if (k.contains("goodput_bytes_per_s"))
    cell += ", " + stats::format_bytes(k["goodput_bytes_per_s"].get<std::uint64_t>()) + "/s";
  return cell;
}

std::string latency_cell(const json& k, const char* phase) {
  if (!k.contains("latency_us") || !k["latency_us"].contains(phase)) return "";
  return stats::format_us(k["latency_us"][phase].value("p99", 0));
}

// A suite (connperf suite): its KPI table with the verdicts first, then each test's first screen
// and charts, drawn as that test's own result.
std::string suite_section(const Run& suite) {
  const json& doc = suite.doc;
  std::vector<std::vector<std::string>> rows;
  std::vector<Run> results;
  for (const json& t : doc["tests"]) {
    const json& v = t.value("verdict", json::object());
    const json& k = t.value("kpis", json::object());
    rows.push_back({t.value("section", ""), t.value("title", ""), kpi_cell(k),
                    latency_cell(k, "ttfb"), latency_cell(k, "ttlb"),
                    t.value("interrupted", false) ? "interrupted"
                    : v.value("pass", false)      ? "PASS"
                                                  : "FAIL",
                    missed_text(v)});
    if (t.contains("result"))
      results.push_back({t.value("section", "") + " " + t.value("title", ""), t["result"]});
  }
  const json& s = doc["summary"];
  std::string out = fmt::format(
      "<section data-kind=\"suite\"><h2>RFC 9411 suite: {} ({} of {} tests passed)</h2>\n",
      s.value("verdict", "FAIL"), s.value("passed", 0), s.value("tests", 0));
  out += html_table("kpis", {"section", "test", "KPI", "ttfb p99", "ttlb p99", "verdict", "missed"},
                    rows);
  for (std::size_t i = 0; i < results.size(); ++i) {
    const Source one{&results[i], i, result_kind(results[i].doc, results[i].label)};
    out += "<h2>" + escape(results[i].label) + "</h2>\n" + headline_html(one) +
           interval_section({one}, one.kind);
  }
  return out + "</section>\n";
}

// The page uses the window's width: charts scale with it, two or more a row when it is wide.
const char* const kCss =
    "body{font:14px/1.4 system-ui,sans-serif;margin:16px 24px;color:#222}"
    "h1{font-size:22px;margin:4px 0 12px}h2{font-size:18px;border-bottom:1px solid #ccc}"
    "h3{font-size:15px;margin:14px 0 4px}"
    ".headline{border:1px solid #ddd;border-radius:6px;padding:4px 16px 12px;margin:0 0 14px;"
    "background:#fafbfc}.headline h2{border:none;margin:8px 0 4px}.headline small{color:#666;"
    "font-weight:400}.swatch{display:inline-block;width:12px;height:12px;margin-right:8px;"
    "border-radius:2px}pre.command{margin:4px 0;white-space:pre-wrap;word-break:break-all;"
    "font-size:13px;background:#f0f2f4;padding:4px 8px}.metas{color:#444;margin:4px 0 8px}"
    ".meta{margin-right:18px}.meta b{color:#888;font-weight:500;margin-right:4px}"
    ".figures{display:flex;flex-wrap:wrap;gap:10px}.figure{min-width:150px;padding:6px 12px;"
    "background:#fff;border:1px solid #e3e3e3;border-radius:4px}.figure .value{font-size:24px;"
    "font-weight:600}.figure .unit{font-size:13px;font-weight:400;color:#555;margin-left:4px}"
    ".figure .name{font-size:12px;color:#666}p.nothing{color:#b00;font-weight:600}"
    ".charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:8px 20px}"
    "figure{margin:8px 0}figcaption{font-weight:600;margin-bottom:4px}"
    "svg.chart{background:#fff;border:1px solid #ddd;width:100%;height:auto}"
    "p.nodata{color:#666;font-style:italic;border:1px dashed #ccc;padding:24px;margin:0}"
    ".grid{stroke:#eee}.tickmark,.axis{stroke:#888}.tick{font-size:11px;fill:#555}"
    ".label,text.key{font-size:12px;fill:#333}"
    "table{border-collapse:collapse;margin:6px 0 10px}td,th{border:1px solid #ddd;"
    "padding:2px 10px;text-align:left;font-size:12px}td.num{text-align:right;"
    "font-variant-numeric:tabular-nums}th{background:#f4f5f7}";

}  // namespace

std::string result_kind(const json& doc, const std::string& name) {
  if (!doc.is_object() || doc.value("tool", "") != "connperf" || !doc.contains("command") ||
      !doc["command"].is_string() || !doc.contains("summary") || !doc["summary"].is_object())
    throw NotAResult(name + ": not a connperf result document");
  const std::string command = doc["command"];
  const json& summary = doc["summary"];
  if (command == "suite" && doc.contains("tests") && doc["tests"].is_array()) return "suite";
  if (command == "models" && summary.contains("models") && summary["models"].is_array())
    return "models";
  if (command == "rr" && summary.contains("steps") && summary["steps"].is_array()) return "sweep";
  if ((command == "crr" || command == "rr" || command == "cc") && doc.contains("intervals") &&
      doc["intervals"].is_array())
    return command;
  throw NotAResult(name + ": a connperf " + command +
                   " result; report charts crr, rr, cc, rr --sweep, models and suite results");
}

std::string render_html(const std::vector<Run>& runs, const std::string& title) {
  std::vector<Source> sources;
  std::map<std::string, std::vector<Source>> by_kind;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const std::string kind = result_kind(runs[i].doc, runs[i].label);
    sources.push_back({&runs[i], i, kind});
    by_kind[kind == "models" ? "sweep" : kind].push_back(sources.back());
  }
  const std::string heading = title.empty() ? "connperf report" : title;
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                    "<meta name=\"viewport\" content=\"width=device-width\"><title>" +
                    escape(heading) + "</title><style>" + kCss + "</style></head><body>\n<h1>" +
                    escape(heading) + "</h1>\n";
  for (const Source& s : sources)
    out += s.kind == "suite" ? suite_section(*s.run) : headline_html(s);
  for (const char* kind : {"crr", "rr", "cc", "sweep"}) {
    const auto it = by_kind.find(kind);
    if (it == by_kind.end()) continue;
    out += it->first == "sweep" ? sweep_section(it->second) : interval_section(it->second, kind);
  }
  return out + "</body></html>\n";
}

}  // namespace connperf::report
