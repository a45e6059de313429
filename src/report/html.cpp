#include "report/html.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include <fmt/format.h>

#include "report/chart.h"

namespace connperf::report {

namespace {

using nlohmann::json;

const char* const kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                               "#9467bd", "#8c564b", "#e377c2", "#17becf"};

std::string color(std::size_t i) { return kColors[i % std::size(kColors)]; }

// j[key], or null when j is not an object or has no such key.
const json& get(const json& j, const char* key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  const auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

double num(const json& j, const char* key) {
  if (!j.is_object()) return 0;
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}

// An interval in which nothing started, completed or failed has no data: a gap.
bool empty_interval(const json& iv, const std::string& kind) {
  if (kind == "cc") return false;
  return num(iv, "started") == 0 && num(iv, "completed") == 0 && num(iv, "errors") == 0;
}

struct Source {
  const Run* run;
  std::size_t index;  // colour
  std::string kind;
};

Series time_series(const Source& s, const std::string& label, bool area,
                   const std::function<std::optional<double>(const json&)>& value) {
  Series out{label, color(s.index), {}, false, area, !area};
  for (const json& iv : get(s.run->doc, "intervals")) {
    std::optional<double> y;
    if (!empty_interval(iv, s.kind)) y = value(iv);
    out.points.push_back({num(iv, "t"), y});
  }
  return out;
}

std::string rate_key(const std::string& kind) { return kind == "rr" ? "qps" : "cps"; }

std::string rate_chart(const std::vector<Source>& runs, const std::string& kind) {
  Chart c{kind + "-rate", kind == "rr" ? "Requests per second, errors per second under it"
                                       : "New connections per second, errors per second under it",
          {"time (s)", Unit::Seconds, false},
          {kind == "rr" ? "requests/s" : "connections/s", Unit::Count, false}, {}};
  for (const Source& s : runs)
    c.series.push_back(time_series(s, s.run->label + " errors/s", true, [](const json& iv) {
      return num(iv, "errors") / std::max(num(iv, "seconds"), 1e-9);
    }));
  for (const Source& s : runs)
    c.series.push_back(time_series(s, s.run->label, false, [&kind](const json& iv) {
      return num(iv, rate_key(kind).c_str());
    }));
  return render_svg(c);
}

std::string latency_chart(const std::vector<Source>& runs, const std::string& kind) {
  Chart c{kind + "-latency", "Response latency per interval: p50 (solid) and p99 (dashed)",
          {"time (s)", Unit::Seconds, false}, {"latency", Unit::Micros, true}, {}};
  for (const Source& s : runs)
    for (const char* p : {"p50", "p99"}) {
      Series line = time_series(s, s.run->label + " " + p, false,
                                [p](const json& iv) -> std::optional<double> {
        if (num(iv, "completed") == 0) return std::nullopt;  // no response, no latency
        const double v = num(get(iv, "response_us"), p);
        return std::max(v, 1.0);
      });
      line.dashed = std::string(p) == "p99";
      c.series.push_back(std::move(line));
    }
  return render_svg(c);
}

// The share of samples per bin of a log axis (10 bins a decade), from the sparse buckets.
Series distribution(const Source& s, const json& h) {
  std::map<int, double> bins;
  const double total = num(h, "count");
  for (const json& b : get(h, "buckets")) {
    if (!b.is_array() || b.size() != 2 || !b[0].is_number() || !b[1].is_number()) continue;
    const double low = std::max(b[0].get<double>(), 1.0);
    bins[static_cast<int>(std::floor(std::log10(low) * 10))] += b[1].get<double>();
  }
  Series out{s.run->label, color(s.index), {}, false, false, true};
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
  for (const Source& s : runs) {
    const json& h = get(get(s.run->doc, "summary"), "histograms");
    if (h.is_object() && h.contains(which)) c.series.push_back(distribution(s, h[which]));
  }
  if (c.series.empty()) return "<p>No histograms in these results.</p>\n";
  return render_svg(c);
}

std::string errors_table(const std::vector<Source>& runs) {
  std::string out = "<h3>Errors by cause</h3><table class=\"errors\"><tr><th>run</th>"
                    "<th>cause</th><th>count</th><th></th></tr>";
  bool any = false;
  for (const Source& s : runs) {
    const json& e = get(get(s.run->doc, "summary"), "errors");
    if (!e.is_object()) continue;
    double most = 1;
    for (const auto& [k, v] : e.items())
      if (v.is_number()) most = std::max(most, v.get<double>());
    for (const auto& [k, v] : e.items()) {
      if (!v.is_number() || v.get<double>() == 0) continue;
      any = true;
      out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td><svg width=\"200\" height=\"10\">"
                         "<rect class=\"bar\" width=\"{:.0f}\" height=\"10\" fill=\"{}\"/></svg>"
                         "</td></tr>",
                         escape(s.run->label), escape(k), v.dump(),
                         200 * v.get<double>() / most, color(s.index));
    }
  }
  if (!any) out += "<tr><td colspan=\"4\">no errors</td></tr>";
  return out + "</table>\n";
}

// key → value rows of the plain (non-object, non-array) fields, nested objects as a.b.
void flatten(const json& j, const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>& rows) {
  if (!j.is_object()) return;
  for (const auto& [k, v] : j.items()) {
    if (k == "histograms" || k == "steps" || k == "models" || k == "listeners") continue;
    const std::string key = prefix.empty() ? k : prefix + "." + k;
    if (v.is_object()) flatten(v, key, rows);
    else if (v.is_array()) rows.emplace_back(key, v.dump());
    else rows.emplace_back(key, v.is_number_float() ? fmt::format("{:.6g}", v.get<double>())
                                                    : (v.is_string() ? v.get<std::string>() : v.dump()));
  }
}

std::string table(const std::string& caption, const std::vector<Source>& runs, const char* part) {
  std::vector<std::vector<std::pair<std::string, std::string>>> cols;
  std::vector<std::string> keys;
  for (const Source& s : runs) {
    cols.emplace_back();
    flatten(get(s.run->doc, part), "", cols.back());
    for (const auto& [k, v] : cols.back())
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  }
  std::string out = fmt::format("<h3>{}</h3><table><tr><th></th>", caption);
  for (const Source& s : runs) out += "<th>" + escape(s.run->label) + "</th>";
  out += "</tr>";
  for (const auto& key : keys) {
    out += "<tr><td>" + escape(key) + "</td>";
    for (const auto& col : cols) {
      const auto it = std::find_if(col.begin(), col.end(), [&key](auto& r) { return r.first == key; });
      out += "<td>" + (it == col.end() ? std::string() : escape(it->second)) + "</td>";
    }
    out += "</tr>";
  }
  return out + "</table>\n";
}

std::string cc_chart(const std::vector<Source>& runs) {
  Chart c{"cc-open", "Open connections, attempts and failures per interval",
          {"time (s)", Unit::Seconds, false}, {"connections", Unit::Count, false}, {}};
  for (const Source& s : runs)
    c.series.push_back(time_series(s, s.run->label + " failed", true,
                                   [](const json& iv) { return num(iv, "failed"); }));
  for (const Source& s : runs)
    c.series.push_back(time_series(s, s.run->label + " open", false,
                                   [](const json& iv) { return num(iv, "open"); }));
  return render_svg(c);
}

std::string interval_section(const std::vector<Source>& runs, const std::string& kind) {
  std::string out = fmt::format("<section data-kind=\"{0}\"><h2>{0}</h2>\n", kind);
  if (kind == "cc") {
    out += cc_chart(runs);
  } else {
    out += rate_chart(runs, kind) + latency_chart(runs, kind) + distribution_chart(runs, kind);
    out += errors_table(runs);
  }
  out += table("Configuration", runs, "config") + table("Summary", runs, "summary");
  return out + "</section>\n";
}

// The lines of a sweep or models document: (label, steps) pairs.
std::vector<std::pair<std::string, const json*>> sweep_lines(const Source& s) {
  std::vector<std::pair<std::string, const json*>> out;
  const json& summary = get(s.run->doc, "summary");
  if (s.kind == "models") {
    for (const json& m : get(summary, "models"))
      if (get(m, "steps").is_array())
        out.emplace_back(s.run->label + " " + m.value("model", "?"), &get(m, "steps"));
  } else {
    out.emplace_back(s.run->label, &get(summary, "steps"));
  }
  return out;
}

std::string sweep_chart(const std::vector<Source>& runs, const std::string& id,
                        const std::string& title, Axis y,
                        const std::function<std::optional<double>(const json&)>& value) {
  Chart c{id, title, {"connections", Unit::Count, false}, std::move(y), {}};
  std::size_t index = 0;
  for (const Source& s : runs)
    for (const auto& [label, steps] : sweep_lines(s)) {
      Series line{label, color(index++), {}, false, false, true};
      for (const json& st : *steps) line.points.push_back({num(st, "connections"), value(st)});
      c.series.push_back(std::move(line));
    }
  return render_svg(c);
}

std::string models_memory(const std::vector<Source>& runs) {
  std::string out;
  for (const Source& s : runs) {
    if (s.kind != "models") continue;
    out += "<h3>Server memory per connection at the top step (" + escape(s.run->label) +
           ")</h3><table><tr><th>model</th><th>connections</th><th>KiB per connection</th></tr>";
    for (const json& m : get(get(s.run->doc, "summary"), "models")) {
      const json mem = m.value("memory", json::object());
      out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td></tr>", escape(m.value("model", "")),
                         mem.value("connections", json()).dump(),
                         mem.contains("kib_per_connection")
                             ? fmt::format("{:.1f}", num(mem, "kib_per_connection")) : "");
    }
    out += "</table>\n";
  }
  return out;
}

std::string sweep_section(const std::vector<Source>& runs) {
  const bool crr = std::any_of(runs.begin(), runs.end(), [](const Source& s) {
    return get(get(s.run->doc, "config"), "load") == "crr";
  });
  const char* rate = crr ? "cps" : "qps";
  std::string out = "<section data-kind=\"sweep\"><h2>Against connections</h2>\n";
  out += sweep_chart(runs, "sweep-rate", crr ? "New connections per second" : "Requests per second",
                     {crr ? "connections/s" : "requests/s", Unit::Count, false},
                     [rate](const json& st) { return num(st, rate); });
  out += sweep_chart(runs, "sweep-p99", "p99 response latency", {"p99 latency", Unit::Micros, true},
                     [](const json& st) -> std::optional<double> {
                       const double v = num(get(get(st, "latency_us"), "response"), "p99");
                       if (v <= 0) return std::nullopt;
                       return v;
                     });
  out += sweep_chart(runs, "sweep-errors", "Error rate (errors / attempts)",
                     {"error rate", Unit::Ratio, false},
                     [](const json& st) { return num(st, "error_rate"); });
  out += models_memory(runs) + table("Configuration", runs, "config");
  return out + "</section>\n";
}

const char* const kCss =
    "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:900px}"
    "h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ccc}h3{font-size:15px}"
    "figure{margin:12px 0}figcaption{font-weight:600;margin-bottom:4px}"
    "svg.chart{background:#fff;border:1px solid #ddd}"
    ".grid{stroke:#eee}.tickmark,.axis{stroke:#888}.tick{font-size:11px;fill:#555}"
    ".label,.key{font-size:12px;fill:#333}"
    "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:2px 8px;"
    "text-align:left;font-size:12px}";

}  // namespace

std::string result_kind(const json& doc, const std::string& name) {
  if (!doc.is_object() || doc.value("tool", "") != "connperf" || !doc.contains("command") ||
      !doc["command"].is_string() || !doc.contains("summary") || !doc["summary"].is_object())
    throw NotAResult(name + ": not a connperf result document");
  const std::string command = doc["command"];
  const json& summary = doc["summary"];
  if (command == "models" && summary.contains("models") && summary["models"].is_array())
    return "models";
  if (command == "rr" && summary.contains("steps") && summary["steps"].is_array()) return "sweep";
  if ((command == "crr" || command == "rr" || command == "cc") && doc.contains("intervals") &&
      doc["intervals"].is_array())
    return command;
  throw NotAResult(name + ": a connperf " + command +
                   " result; report charts crr, rr, cc, rr --sweep and models results");
}

std::string render_html(const std::vector<Run>& runs, const std::string& title) {
  std::map<std::string, std::vector<Source>> by_kind;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const std::string kind = result_kind(runs[i].doc, runs[i].label);
    by_kind[kind == "models" ? "sweep" : kind].push_back({&runs[i], i, kind});
  }
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" +
                    escape(title) + "</title><style>" + kCss + "</style></head><body>\n<h1>" +
                    escape(title) + "</h1>\n<p>";
  for (const Run& r : runs)
    out += fmt::format("<b>{}</b>: connperf {} {} &nbsp; ", escape(r.label),
                       escape(r.doc.value("version", "")), escape(r.doc.value("command", "")));
  out += "</p>\n";
  for (const char* kind : {"crr", "rr", "cc", "sweep"}) {
    const auto it = by_kind.find(kind);
    if (it == by_kind.end()) continue;
    out += it->first == "sweep" ? sweep_section(it->second) : interval_section(it->second, kind);
  }
  return out + "</body></html>\n";
}

}  // namespace connperf::report
