#include <algorithm>

#include <fmt/format.h>

#include "report/chart.h"
#include "report/json_view.h"
#include "report/page_parts.h"

namespace connperf::report {

namespace {

using nlohmann::json;

const char* const kRunColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                  "#9467bd", "#8c564b", "#e377c2", "#17becf"};

Quantity counted(double n, const std::string& unit = "") { return {count_text(n), unit}; }

double completed_of(const json& summary, const std::string& kind) {
  return number(summary, kind == "rr" ? "requests" : "completed");
}

std::vector<Figure> load_figures(const json& summary, const std::string& kind) {
  const bool rr = kind == "rr";
  const double started = number(summary, "started"), completed = completed_of(summary, kind);
  const json& total = field(field(summary, "latency_us"), "total");
  auto latency = [&](const char* p) {
    return completed > 0 ? latency_quantity(number(total, p)) : Quantity{"–", ""};
  };
  std::vector<Figure> out = {
      {"rate", rr ? "requests per second" : "new connections per second",
       {rate_text(number(summary, rr ? "qps" : "cps")), "/s"}},
      {"p50", "p50 total latency", latency("p50")},
      {"p99", "p99 total latency", latency("p99")},
      {"error_rate", "error rate (errors / attempts)",
       started > 0 ? percent_quantity(number(summary, "error_total") / started)
                   : Quantity{"–", ""}},
      {"completed", rr ? "responses of requests sent" : "completed of started",
       counted(completed, "of " + count_text(started))}};
  if (field(summary, "answered_connections").is_number())
    out.push_back({"answered", "connections that got any response",
                   counted(number(summary, "answered_connections"))});
  return out;
}

std::vector<Figure> cc_figures(const json& summary) {
  return {{"established", "connections established",
           counted(number(summary, "established"), "of " + count_text(number(summary, "attempted")))},
          {"survived", "held to the end", counted(number(summary, "survived"))},
          {"failed", "failed to connect", counted(number(summary, "failed"))},
          {"lost", "lost while held", counted(number(summary, "lost"))},
          {"time_to_reach", "time to reach the target",
           field(summary, "time_to_reach_s").is_number()
               ? Quantity{duration_text(number(summary, "time_to_reach_s")), ""}
               : Quantity{"not reached", ""}}};
}

// The steps of a sweep, or of every model, each with the name of its line.
std::vector<std::pair<std::string, const json*>> all_steps(const json& doc) {
  std::vector<std::pair<std::string, const json*>> out;
  const json& summary = field(doc, "summary");
  for (const json& st : field(summary, "steps")) out.emplace_back("", &st);
  for (const json& m : field(summary, "models"))
    for (const json& st : field(m, "steps")) out.emplace_back(m.value("model", "?"), &st);
  return out;
}

std::vector<Figure> sweep_figures(const json& doc) {
  const auto steps = all_steps(doc);
  const char* rate = field(field(doc, "config"), "load") == "crr" ? "cps" : "qps";
  const std::pair<std::string, const json*>* best = nullptr;
  double worst_errors = 0;
  for (const auto& st : steps) {
    if (!best || number(*st.second, rate) > number(*best->second, rate)) best = &st;
    worst_errors = std::max(worst_errors, number(*st.second, "error_rate"));
  }
  std::vector<Figure> out = {{"steps", "steps run", counted(static_cast<double>(steps.size()))}};
  if (!best) return out;
  const std::string where = fmt::format("at {} connections{}", count_text(number(*best->second,
                                                                                "connections")),
                                        best->first.empty() ? "" : ", " + best->first);
  out.push_back({"rate", "best rate, " + where, {rate_text(number(*best->second, rate)), "/s"}});
  out.push_back({"p99", "p99 response latency there",
                 latency_quantity(number(field(field(*best->second, "latency_us"), "response"),
                                         "p99"))});
  out.push_back({"error_rate", "highest error rate of a step", percent_quantity(worst_errors)});
  // Fairness: the step where the fewest of its connections got any response (a server that
  // serves one connection at a time answers 1 of 32, however good its p99 looks).
  const std::pair<std::string, const json*>* unfair = nullptr;
  auto share = [](const json& st) {
    return number(st, "answered_connections") / std::max(number(st, "connections"), 1.0);
  };
  for (const auto& st : steps)
    if (field(*st.second, "answered_connections").is_number() &&
        (!unfair || share(*st.second) < share(*unfair->second)))
      unfair = &st;
  if (unfair)
    out.push_back({"answered",
                   fmt::format("fewest connections answered{}",
                               unfair->first.empty() ? "" : " (" + unfair->first + ")"),
                   counted(number(*unfair->second, "answered_connections"),
                           "of " + count_text(number(*unfair->second, "connections")))});
  return out;
}

std::string figure_html(const Figure& f) {
  return fmt::format("<div class=\"figure\" data-figure=\"{}\"><div class=\"value\">{}"
                     "<span class=\"unit\">{}</span></div><div class=\"name\">{}</div></div>",
                     escape(f.id), escape(f.q.value), escape(f.q.unit), escape(f.name));
}

// key → formatted value rows of the plain fields, nested objects as a.b; what has its own table
// (latency, errors, histograms, steps) is left out.
void flatten(const json& j, const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>& rows) {
  static const char* const kOwnTable[] = {"histograms", "steps",   "models",       "listeners",
                                          "latency_us", "errors",  "errors_other", "per_rank",
                                          "peers",      "pids",    "configs"};
  if (!j.is_object()) return;
  for (const auto& [k, v] : j.items()) {
    if (std::find(std::begin(kOwnTable), std::end(kOwnTable), k) != std::end(kOwnTable))
      continue;
    const std::string key = prefix.empty() ? k : prefix + "." + k;
    if (v.is_object()) flatten(v, key, rows);
    else rows.emplace_back(key, value_text(key, v));
  }
}

// What a reader looks for first comes first; the rest in the document's order.
std::size_t rank_of(const std::string& key) {
  static const char* const kOrder[] = {"started", "completed", "requests", "error_total",
                                       "aborted", "cps", "qps", "seconds", "drain_s",
                                       "answered_connections", "attempted", "established"};
  const auto it = std::find(std::begin(kOrder), std::end(kOrder), key);
  return static_cast<std::size_t>(it - std::begin(kOrder));
}

std::string keyed_table(const std::string& id, const std::vector<Source>& runs, const char* part) {
  std::vector<std::vector<std::pair<std::string, std::string>>> cols;
  std::vector<std::string> keys;
  for (const Source& s : runs) {
    cols.emplace_back();
    flatten(field(s.run->doc, part), "", cols.back());
    for (const auto& [k, v] : cols.back())
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  }
  std::stable_sort(keys.begin(), keys.end(),
                   [](const std::string& a, const std::string& b) { return rank_of(a) < rank_of(b); });
  std::vector<std::string> head{""};
  for (const Source& s : runs) head.push_back(s.run->label);
  std::vector<std::vector<std::string>> rows;
  for (const auto& key : keys) {
    rows.push_back({key_label(key)});
    for (const auto& col : cols) {
      const auto it = std::find_if(col.begin(), col.end(), [&key](auto& r) { return r.first == key; });
      rows.back().push_back(it == col.end() ? "" : it->second);
    }
  }
  return html_table(id, head, rows);
}

std::string latency_table(const std::vector<Source>& runs) {
  std::vector<std::vector<std::string>> rows;
  for (const Source& s : runs)
    for (const auto& [which, h] : field(field(s.run->doc, "summary"), "latency_us").items()) {
      if (number(h, "count") == 0 && number(h, "max") == 0) continue;
      std::vector<std::string> row{s.run->label, which};
      for (const char* p : {"p50", "p90", "p99", "p999", "max", "mean"})
        row.push_back(latency_quantity(number(h, p)).text());
      row.push_back(count_text(number(h, "count")));
      rows.push_back(std::move(row));
    }
  if (rows.empty()) return "<p class=\"nodata\">No latency: nothing completed.</p>\n";
  return html_table("latency", {"run", "latency", "p50", "p90", "p99", "p99.9", "max", "mean",
                                "samples"},
                    rows);
}

std::string errors_table(const std::vector<Source>& runs) {
  std::string out = "<table class=\"errors\" data-table=\"errors\"><tr><th>run</th><th>cause</th>"
                    "<th>count</th><th>of attempts</th><th></th></tr>";
  bool any = false;
  for (const Source& s : runs) {
    const json& summary = field(s.run->doc, "summary");
    const double attempts = number(summary, s.kind == "cc" ? "attempted" : "started");
    double most = 1;
    for (const auto& [k, v] : field(summary, "errors").items())
      if (v.is_number()) most = std::max(most, v.get<double>());
    for (const auto& [k, v] : field(summary, "errors").items()) {
      if (!v.is_number() || v.get<double>() == 0) continue;
      any = true;
      const double n = v.get<double>();
      out += fmt::format("<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">"
                         "{}</td><td><svg width=\"160\" height=\"10\"><rect class=\"bar\" "
                         "width=\"{:.0f}\" height=\"10\" fill=\"{}\"/></svg></td></tr>",
                         escape(s.run->label), escape(key_label(k)), count_text(n),
                         attempts > 0 ? percent_quantity(n / attempts).text() : "–",
                         std::max(1.0, 160 * n / most), run_color(s.index));
    }
  }
  if (!any) out += "<tr><td colspan=\"5\">no errors</td></tr>";
  return out + "</table>\n";
}

}  // namespace

std::string run_color(std::size_t i) { return kRunColors[i % std::size(kRunColors)]; }

std::vector<Figure> headline_figures(const json& doc, const std::string& kind) {
  const json& summary = field(doc, "summary");
  if (kind == "cc") return cc_figures(summary);
  if (kind == "sweep" || kind == "models") return sweep_figures(doc);
  return load_figures(summary, kind);
}

std::string nothing_completed_text(const json& doc, const std::string& kind) {
  if (kind != "crr" && kind != "rr") return "";
  const json& summary = field(doc, "summary");
  if (completed_of(summary, kind) > 0) return "";
  const double started = number(summary, "started");
  if (started == 0) return "nothing completed: no attempt was started";
  std::string top;
  double most = 0;
  for (const auto& [k, v] : field(summary, "errors").items())
    if (v.is_number() && v.get<double>() > most) most = v.get<double>(), top = k;
  return fmt::format("nothing completed: {} attempts{}", count_text(started),
                     top.empty() ? ""
                                 : fmt::format(", {} of them {}", count_text(most),
                                               key_label(top)));
}

std::string targets_text(const json& doc) {
  const json& config = field(doc, "config");
  std::string out = value_text("targets", field(config, "targets"));
  if (field(config, "targets").is_null()) out.clear();
  if (const json& lab = field(config, "lab"); lab.is_object())
    out += fmt::format("{}through lab {}", out.empty() ? "" : " ",
                       lab.value("name", std::string("?")));
  return out;
}

std::string headline_html(const Source& s) {
  const json& doc = s.run->doc;
  const std::string command_line =
      doc.value("command_line", "connperf " + doc.value("command", std::string()));
  std::string meta;
  auto add = [&meta](const char* what, const std::string& value) {
    if (value.empty()) return;
    meta += fmt::format("<span class=\"meta\" data-meta=\"{0}\"><b>{0}</b> {1}</span>", what,
                        escape(value));
  };
  add("target", targets_text(doc));
  add("host", doc.value("host", std::string()));
  add("date", date_text(doc.value("started_at", std::string())));
  add("version", doc.value("version", std::string()));
  std::string out = fmt::format(
      "<section class=\"headline\" data-run=\"{0}\"><h2><span class=\"swatch\" "
      "style=\"background:{1}\"></span>{0} <small>{2}</small></h2>"
      "<pre class=\"command\">{3}</pre><div class=\"metas\">{4}</div><div class=\"figures\">",
      escape(s.run->label), run_color(s.index), escape(s.kind), escape(command_line), meta);
  for (const Figure& f : headline_figures(doc, s.kind)) out += figure_html(f);
  out += "</div>";
  if (const std::string why = nothing_completed_text(doc, s.kind); !why.empty())
    out += "<p class=\"nothing\">" + escape(why) + "</p>";
  if (field(doc, "summary").value("interrupted", false))
    out += "<p class=\"nothing\">interrupted: the run was cut short by a signal</p>";
  return out + "</section>\n";
}

std::string html_table(const std::string& id, const std::vector<std::string>& head,
                       const std::vector<std::vector<std::string>>& rows) {
  std::string out = fmt::format("<table data-table=\"{}\"><tr>", escape(id));
  for (const auto& h : head) out += "<th>" + escape(h) + "</th>";
  out += "</tr>";
  for (const auto& row : rows) {
    out += "<tr>";
    for (std::size_t i = 0; i < row.size(); ++i)
      out += (i == 0 ? "<td>" : "<td class=\"num\">") + escape(row[i]) + "</td>";
    out += "</tr>";
  }
  return out + "</table>\n";
}

std::string summary_tables(const std::vector<Source>& runs) {
  std::string out = "<h3>Summary</h3>" + keyed_table("summary", runs, "summary");
  if (runs.front().kind != "cc") out += "<h3>Latency</h3>" + latency_table(runs);
  return out + "<h3>Errors by cause</h3>" + errors_table(runs);
}

std::string config_table(const std::vector<Source>& runs) {
  return "<h3>Configuration</h3>" + keyed_table("config", runs, "config");
}

}  // namespace connperf::report
