#include <algorithm>
#include <functional>
#include <optional>

#include <fmt/format.h>

#include "report/chart.h"
#include "report/json_view.h"
#include "report/page_parts.h"

namespace connperf::report {

namespace {

using nlohmann::json;

// The lines of a sweep or models document: (label, steps) pairs.
std::vector<std::pair<std::string, const json*>> sweep_lines(const Source& s) {
  std::vector<std::pair<std::string, const json*>> out;
  const json& summary = field(s.run->doc, "summary");
  if (s.kind == "models") {
    for (const json& m : field(summary, "models"))
      if (field(m, "steps").is_array())
        out.emplace_back(s.run->label + " " + m.value("model", "?"), &field(m, "steps"));
  } else {
    out.emplace_back(s.run->label, &field(summary, "steps"));
  }
  return out;
}

std::optional<double> p99_of(const json& st) {
  const double v = number(field(field(st, "latency_us"), "response"), "p99");
  if (v <= 0) return std::nullopt;
  return v;
}

// Of the step's connections, the share that got any response (rr sweeps and models).
std::optional<double> answered_share(const json& st) {
  if (!field(st, "answered_connections").is_number() || number(st, "connections") <= 0)
    return std::nullopt;
  return number(st, "answered_connections") / number(st, "connections");
}

std::string step_chart(const std::vector<Source>& runs, const std::string& id,
                       const std::string& title, Axis y,
                       const std::function<std::optional<double>(const json&)>& value) {
  Chart c{id, title, {"connections", Unit::Count, false}, std::move(y), {}};
  std::size_t index = 0;
  for (const Source& s : runs)
    for (const auto& [label, steps] : sweep_lines(s)) {
      Series line{label, run_color(index++), {}, false, false, true};
      for (const json& st : *steps) line.points.push_back({number(st, "connections"), value(st)});
      c.series.push_back(std::move(line));
    }
  return render_svg(c);
}

std::string answered_cell(const json& st) {
  if (!field(st, "answered_connections").is_number()) return "–";
  return fmt::format("{} of {}", count_text(number(st, "answered_connections")),
                     count_text(number(st, "connections")));
}

// The plotted numbers, a row per step of every line.
std::string steps_table(const std::vector<Source>& runs, const char* rate) {
  std::vector<std::vector<std::string>> rows;
  for (const Source& s : runs)
    for (const auto& [label, steps] : sweep_lines(s))
      for (const json& st : *steps) {
        const json& lat = field(field(st, "latency_us"), "response");
        rows.push_back({label, count_text(number(st, "connections")),
                        rate_text(number(st, rate)) + "/s",
                        latency_quantity(number(lat, "p50")).text(),
                        latency_quantity(number(lat, "p99")).text(),
                        latency_quantity(number(lat, "p999")).text(),
                        percent_quantity(number(st, "error_rate")).text(), answered_cell(st),
                        st.value("interrupted", false) ? "interrupted" : ""});
      }
  return html_table("steps", {"line", "connections", std::string(rate) == "cps" ? "connections/s"
                                                                                  : "requests/s",
                              "p50", "p99", "p99.9", "error rate", "connections answered", ""},
                    rows);
}

std::string models_memory(const std::vector<Source>& runs) {
  std::string out;
  for (const Source& s : runs) {
    if (s.kind != "models") continue;
    std::vector<std::vector<std::string>> rows;
    for (const json& m : field(field(s.run->doc, "summary"), "models")) {
      const json& mem = field(m, "memory");
      rows.push_back({m.value("model", std::string()),
                      mem.is_object() ? count_text(number(mem, "connections")) : "–",
                      mem.is_object() ? value_text("kib_per_connection",
                                                   field(mem, "kib_per_connection"))
                                      : "–"});
    }
    out += "<h3>Server memory per connection at the top step (" + escape(s.run->label) + ")</h3>" +
           html_table("memory", {"model", "connections", "per connection"}, rows);
  }
  return out;
}

bool any_answered(const std::vector<Source>& runs) {
  for (const Source& s : runs)
    for (const auto& [label, steps] : sweep_lines(s))
      for (const json& st : *steps)
        if (answered_share(st)) return true;
  return false;
}

}  // namespace

std::string sweep_section(const std::vector<Source>& runs) {
  const bool crr = std::any_of(runs.begin(), runs.end(), [](const Source& s) {
    return field(field(s.run->doc, "config"), "load") == "crr";
  });
  const char* rate = crr ? "cps" : "qps";
  std::string out = "<section data-kind=\"sweep\"><h2>Against connections</h2>\n<div class=\"charts\">";
  out += step_chart(runs, "sweep-rate", crr ? "New connections per second" : "Requests per second",
                    {crr ? "connections/s" : "requests/s", Unit::Count, false},
                    [rate](const json& st) { return number(st, rate); });
  out += step_chart(runs, "sweep-p99", "p99 response latency", {"p99 latency", Unit::Micros, true},
                    p99_of);
  out += step_chart(runs, "sweep-errors", "Error rate (errors / attempts)",
                    {"error rate", Unit::Ratio, false},
                    [](const json& st) { return number(st, "error_rate"); });
  if (any_answered(runs))
    out += step_chart(runs, "sweep-fairness",
                      "Fairness: share of the connections that got any response",
                      {"connections answered", Unit::Ratio, false}, answered_share);
  out += "</div><h3>The plotted numbers</h3>" + steps_table(runs, rate);
  out += models_memory(runs) + config_table(runs);
  return out + "</section>\n";
}

}  // namespace connperf::report
