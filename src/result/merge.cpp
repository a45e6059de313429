#include "result/merge.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "result/document.h"
#include "stats/histogram_json.h"
#include "stats/printers.h"
#include "tls/tls.h"

namespace connperf::result {

namespace {

using nlohmann::json;

constexpr const char* kHistograms[] = {"connect", "response", "total"};

// Adds the counts (non-negative integers) of `from` into `into`, object by object; other values
// keep the first document's.
void add_counts(json& into, const json& from) {
  for (const auto& [key, value] : from.items()) {
    if (!into.contains(key)) {
      into[key] = value;
    } else if (value.is_number_unsigned() && into[key].is_number_unsigned()) {
      into[key] = into[key].get<std::uint64_t>() + value.get<std::uint64_t>();
    } else if (value.is_object() && into[key].is_object()) {
      add_counts(into[key], value);
    }
  }
}

double max_of(const std::vector<json>& docs, const char* key) {
  double m = 0;
  for (const auto& d : docs) m = std::max(m, d["summary"].value(key, 0.0));
  return m;
}

stats::Histogram merged_histogram(const std::vector<json>& docs, const char* name) {
  stats::Histogram h;
  for (std::size_t i = 0; i < docs.size(); ++i) {
    const json& s = docs[i]["summary"];
    if (!s.contains("histograms") || !s["histograms"].contains(name))
      throw MergeError(fmt::format("input {} has no summary.histograms.{} (written by an older "
                                   "connperf?): its percentiles cannot be merged",
                                   i + 1, name));
    std::string error;
    const auto part = stats::histogram_from_json(s["histograms"][name], error);
    if (!part) throw MergeError(fmt::format("input {}: summary.histograms.{}: {}", i + 1, name, error));
    h.add(*part);
  }
  return h;
}

// crr and rr: the job's ClientSnapshot, then the summary a single run writes.
// Body bytes (goodput), in total and per --object size (parts ran the same --object list).
void add_objects(const json& s, stats::ClientSnapshot& t) {
  t.body_bytes += s.value("body_bytes", std::uint64_t{0});
  const json objects = s.value("objects", json::array());
  for (std::size_t i = 0; i < objects.size() && i < t.objects.size(); ++i) {
    t.objects[i].size = objects[i].value("size", std::uint64_t{0});
    t.objects[i].completed += objects[i].value("completed", std::uint64_t{0});
    t.objects[i].body_bytes += objects[i].value("body_bytes", std::uint64_t{0});
  }
}

// An alert's code from the name summary.tls.alerts gives it; -1 for a name OpenSSL has not.
int merge_alert_code(const std::string& name) {
  for (int a = 0; a < stats::kTlsAlerts; ++a)
    if (name == tls::alert_name(a)) return a;
  return -1;
}

// --tls parts: handshakes and alerts added; version, cipher and group of the first part that
// made a handshake. False when no part has summary.tls.
bool merge_tls(const std::vector<json>& docs, stats::ClientSnapshot& t, stats::TlsNames& names) {
  bool any = false;
  for (const auto& d : docs) {
    const json& s = d["summary"];
    if (!s.contains("tls") || !s["tls"].is_object()) continue;
    any = true;
    const json& p = s["tls"];
    t.tls_full += p.value("full", std::uint64_t{0});
    t.tls_resumed += p.value("resumed", std::uint64_t{0});
    const json alerts = p.value("alerts", json::object());
    for (const auto& [name, n] : alerts.items())
      if (const int a = merge_alert_code(name); a >= 0 && n.is_number_unsigned())
        t.tls_alerts[static_cast<std::size_t>(a)] += n.get<std::uint64_t>();
    if (names.version.empty() && !p.value("version", "").empty())
      names = {p.value("version", ""), p.value("cipher", ""), p.value("group", "")};
  }
  return any;
}

void merge_client(const std::vector<json>& docs, const std::string& command, Merged& out) {
  stats::ClientSnapshot t;
  std::uint64_t aborted = 0;
  json other = json::object();
  for (const auto& d : docs) {
    const json& s = d["summary"];
    t.started += s.value("started", std::uint64_t{0});
    t.completed += s.value("completed", std::uint64_t{0});
    aborted += s.value("aborted", std::uint64_t{0});
    for (std::size_t k = 0; k < stats::kErrorKinds; ++k)
      if (const auto* name = stats::to_string(static_cast<stats::ErrorKind>(k));
          s.contains("errors") && s["errors"].contains(name))
        t.errors[k] += s["errors"][name].get<std::uint64_t>();
    if (s.contains("errors_other")) add_counts(other, s["errors_other"]);
    add_objects(s, t);
  }
  t.connect_us = merged_histogram(docs, "connect");
  t.response_us = merged_histogram(docs, "response");
  t.total_us = merged_histogram(docs, "total");
  // Later additions merge when every input has them (results of older versions do not).
  auto every = [&docs](const char* name) {
    return std::all_of(docs.begin(), docs.end(), [name](const json& d) {
      return d["summary"].contains("histograms") && d["summary"]["histograms"].contains(name);
    });
  };
  if (every("ttfb")) t.ttfb_us = merged_histogram(docs, "ttfb");
  if (every("ttlb")) t.ttlb_us = merged_histogram(docs, "ttlb");
  if (every("tls")) t.tls_us = merged_histogram(docs, "tls");
  stats::TlsNames names;
  const bool tls = merge_tls(docs, t, names);
  const double seconds = max_of(docs, "seconds");
  if (command == "rr") {
    out.doc["summary"] = stats::rr_summary_json(t, aborted, seconds);
    out.text = stats::rr_summary_text(t, aborted, seconds);
  } else {
    out.doc["summary"] = stats::crr_summary_json(t, aborted, seconds);
    out.text = stats::crr_summary_text(t, aborted, seconds);
  }
  if (tls) {
    stats::add_tls_summary(out.doc["summary"], t, names);
    out.text += stats::tls_summary_text(t, names);
  }
  out.doc["summary"]["errors_other"] = other;
}

void merge_cc(const std::vector<json>& docs, Merged& out) {
  json s = json::object();
  bool all_reached = true;
  double reached = 0;
  for (const auto& d : docs) {
    json part = d["summary"];
    const json& r = part["time_to_reach_s"];
    if (r.is_number()) reached = std::max(reached, r.get<double>());
    else all_reached = false;
    part.erase("time_to_reach_s");
    part.erase("per_rank");
    add_counts(s, part);
  }
  if (s.contains("tls") && s["tls"].is_object()) {  // names: of the first part that made one
    stats::ClientSnapshot unused;
    stats::TlsNames names;
    merge_tls(docs, unused, names);
    s["tls"]["version"] = names.version;
    s["tls"]["cipher"] = names.cipher;
    s["tls"]["group"] = names.group;
  }
  s["seconds"] = max_of(docs, "seconds");
  s["time_to_reach_s"] = all_reached ? json(reached) : json(nullptr);
  stats::ClientSnapshot attempts;
  attempts.started = s.value("attempted", std::uint64_t{0});
  attempts.completed = s.value("established", std::uint64_t{0});
  const json errors = s.value("errors", json::object());
  for (std::size_t k = 0; k < stats::kErrorKinds; ++k)
    attempts.errors[k] =
        errors.value(stats::to_string(static_cast<stats::ErrorKind>(k)), std::uint64_t{0});
  out.text = stats::cc_summary_text(
      attempts, s.value("lost", std::uint64_t{0}), s.value("survived", std::uint64_t{0}),
      s.value("target", std::uint64_t{0}),
      all_reached ? std::optional(reached) : std::nullopt);
  out.doc["summary"] = std::move(s);
}

// Intervals with the same `t` (to the millisecond) add their counts; rates follow from them.
// Interval percentiles are not merged: intervals carry no histograms.
json merge_intervals(const std::vector<json>& docs) {
  std::map<long long, json> by_t;
  for (const auto& d : docs) {
    for (const auto& i : d.value("intervals", json::array())) {
      if (!i.contains("t") || !i["t"].is_number()) continue;
      json part = i;
      for (const char* drop : {"connect_us", "response_us", "cps", "qps", "goodput_bytes_per_s"})
        part.erase(drop);
      const auto key = std::llround(i["t"].get<double>() * 1000);
      auto [it, fresh] = by_t.try_emplace(key, part);
      if (!fresh) {
        it->second["seconds"] = std::max(it->second.value("seconds", 0.0), i.value("seconds", 0.0));
        add_counts(it->second, part);
      }
    }
  }
  json out = json::array();
  for (auto& [key, i] : by_t) {
    const double seconds = i.value("seconds", 0.0);
    auto rate = [seconds](const json& n) {
      return seconds > 0 ? n.get<double>() / seconds : 0.0;
    };
    if (i.contains("requests")) i["qps"] = rate(i["requests"]);
    else if (i.contains("completed")) i["cps"] = rate(i["completed"]);
    if (i.contains("body_bytes")) i["goodput_bytes_per_s"] = rate(i["body_bytes"]);
    out.push_back(std::move(i));
  }
  return out;
}

// The merged result ran when its first part started (RFC 3339 strings sort by time) and
// where its parts ran: their distinct hosts, joined by commas.
void stamp_where_and_when(const std::vector<json>& docs, json& out) {
  std::string first, hosts;
  for (const json& d : docs) {
    const std::string at = d.value("started_at", ""), host = d.value("host", "");
    if (!at.empty() && (first.empty() || at < first)) first = at;
    if (!host.empty() && ("," + hosts + ",").find("," + host + ",") == std::string::npos)
      hosts += (hosts.empty() ? "" : ",") + host;
  }
  if (!first.empty()) out["started_at"] = first;
  if (!hosts.empty()) out["host"] = hosts;
}

}  // namespace

Merged merge_results(const std::vector<json>& docs, const std::vector<std::string>& names) {
  if (docs.empty()) throw MergeError("nothing to merge");
  for (std::size_t i = 0; i < docs.size(); ++i)
    if (!docs[i].is_object() || docs[i].value("tool", "") != "connperf" ||
        !docs[i].contains("summary") || !docs[i]["summary"].is_object())
      throw MergeError(fmt::format("{} is not a connperf result document", names.at(i)));
  const std::string command = docs[0].value("command", "");
  for (std::size_t i = 1; i < docs.size(); ++i)
    if (docs[i].value("command", "") != command)
      throw MergeError(fmt::format("cannot merge a '{}' result ({}) with a '{}' result ({})",
                                   docs[i].value("command", ""), names.at(i), command,
                                   names.at(0)));
  if (command != "crr" && command != "rr" && command != "cc")
    throw MergeError(fmt::format("cannot merge '{}' results (crr, rr and cc can be merged)",
                                 command));
  if (command == "rr" && docs[0]["summary"].contains("steps"))
    throw MergeError("cannot merge rr --sweep results");
  json configs = json::array();
  for (const auto& d : docs) configs.push_back(d.value("config", json::object()));
  Merged out;
  out.doc = document(command, {{"merged", names}, {"configs", configs}});
  out.doc["intervals"] = merge_intervals(docs);
  stamp_where_and_when(docs, out.doc);
  if (command == "cc") merge_cc(docs, out);
  else merge_client(docs, command, out);
  out.doc["summary"]["merged_from"] = docs.size();
  out.text = fmt::format("{} {} results merged{}", docs.size(), command, out.text);
  return out;
}

}  // namespace connperf::result
