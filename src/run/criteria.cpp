#include "run/criteria.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <span>

#include <fmt/format.h>

#include "run/duration.h"
#include "run/errors.h"
#include "stats/client_stats.h"

namespace connperf::run {

namespace {

using Kind = Criterion::Kind;
using Unit = Criterion::Unit;

// The RFC's own bounds (RFC 9411, section 7.N.3.3 "Test Results Validation Criteria", for the
// cleartext tests 7.2-7.5): failed transactions and unexpected resets each under 0.001% of what
// was attempted (a, b); during the sustain phase the forwarding rate within 5% (c) and the
// concurrent connections within 10% (d) of steady.
struct Preset {
  const char* text;
  const char* source;
};

// What one command's summary calls its figures.
struct Vocabulary {
  const char* command;
  const char* started;      // what shares of attempts divide by
  const char* failed;       // the failed attempts
  const char* rate;         // "cps" / "qps"; nullptr when the summary has none
  const char* concurrency;  // the interval figure of connections open or in flight
  const char* requests;     // cc: the --object causes are shares of its keepalive requests
  std::vector<std::pair<const char*, Unit>> figures;  // numbers of the summary a VALUE bounds
  bool latency;
  std::vector<Preset> rfc9411;
};

const Vocabulary& vocabulary(Judged what) {
  static const Vocabulary crr{
      "crr", "/started", "/error_total", "cps", "concurrency", nullptr,
      {{"started", Unit::Count}, {"completed", Unit::Count}, {"aborted", Unit::Count},
       {"cps", Unit::Count}, {"goodput_bytes_per_s", Unit::Count}},
      true,
      {{"errors<0.001%", "RFC 9411 7.2.3.3 a"},
       {"resets<0.001%", "RFC 9411 7.2.3.3 b"},
       {"cps.deviation<5%", "RFC 9411 7.2.3.3 c"},
       {"concurrency.deviation<10%", "RFC 9411 7.2.3.3 d"}}};
  static const Vocabulary rr{
      "rr", "/started", "/error_total", "qps", "connections", nullptr,
      {{"started", Unit::Count}, {"completed", Unit::Count}, {"requests", Unit::Count},
       {"aborted", Unit::Count}, {"qps", Unit::Count}, {"goodput_bytes_per_s", Unit::Count}},
      true,
      {{"errors<0.001%", "RFC 9411 7.4.3.3 a"},
       {"resets<0.001%", "RFC 9411 7.4.3.3 b"},
       {"qps.deviation<5%", "RFC 9411 7.4.3.3 c"},
       {"concurrency.deviation<10%", "RFC 9411 7.4.3.3 d"}}};
  static const Vocabulary cc{
      "cc", "/attempted", "/failed", nullptr, "open", "/requests",
      {{"attempted", Unit::Count}, {"established", Unit::Count}, {"survived", Unit::Count},
       {"keepalives", Unit::Count}, {"aborted", Unit::Count},
       {"time_to_reach_s", Unit::Seconds}, {"goodput_bytes_per_s", Unit::Count}},
      false,
      {{"errors<0.001%", "RFC 9411 7.5.3.3 a"}, {"resets<0.001%", "RFC 9411 7.5.3.3 b"}}};
  switch (what) {
    case Judged::Crr: return crr;
    case Judged::Rr: return rr;
    case Judged::Cc: break;
  }
  return cc;
}

// p99.9 before p99: the first name that a metric starts with is its.
constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kLatencyKeys{{
    {"p50", "p50"}, {"p90", "p90"}, {"p99.9", "p999"}, {"p99", "p99"}, {"max", "max"},
    {"mean", "mean"}}};
constexpr std::array<std::string_view, 6> kPhases{"connect", "tls",  "response",
                                                  "total",   "ttfb", "ttlb"};

[[noreturn]] void bad(std::string_view item, const std::string& why, std::string_view flag) {
  throw UsageError(fmt::format("{}: '{}': {}", flag, item, why));
}
[[noreturn]] void bad(std::string_view item, const std::string& why) {
  bad(item, why, "--criteria");
}

double number(std::string_view item, std::string_view text, std::string_view& rest) {
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || !std::isfinite(v) || v < 0)
    bad(item, fmt::format("'{}' is not a number", text));
  rest = std::string_view(end, static_cast<std::size_t>(text.data() + text.size() - end));
  return v;
}

double share_bound(std::string_view item, std::string_view text) {
  std::string_view unit;
  const double v = number(item, text, unit);
  if (unit == "%") return v / 100;
  if (unit.empty() && v <= 1) return v;
  bad(item, "a share is N% or a fraction from 0 to 1 (e.g. 0.001% or 0.00001)");
}

std::string flag_of(std::string_view item) { return fmt::format("--criteria: '{}'", item); }

double figure_bound(std::string_view item, std::string_view text, Unit unit) {
  if (unit == Unit::Seconds) return parse_seconds(flag_of(item), text);
  std::string_view suffix;
  const double v = number(item, text, suffix);
  if (suffix.empty()) return v;
  if (suffix == "k") return v * 1e3;
  if (suffix == "M") return v * 1e6;
  bad(item, fmt::format("'{}' is not a number (a figure may end in k or M)", text));
}

double latency_bound(std::string_view item, std::string_view text) {
  if (!text.empty() && (text.back() < 'a' || text.back() > 'z'))
    bad(item, "a latency needs its unit (e.g. 50ms, 800us, 1s)");
  return parse_time(flag_of(item), text, 1) * 1e6;
}

std::string names_of(std::span<const std::string_view> names) {
  std::string out;
  for (auto n : names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

// An error cause by its name or plural ("reset", "resets"); empty when it names none.
std::string cause_of(std::string_view metric) {
  for (std::size_t k = 0; k < stats::kErrorKinds; ++k) {
    const std::string name = stats::to_string(static_cast<stats::ErrorKind>(k));
    if (metric == name || metric == name + "s") return name;
  }
  return {};
}

// The causes of a reply that framed but was not the object asked for (--object).
bool is_request_cause(const std::string& cause) {
  return cause == "status" || cause == "body_short" || cause == "body_long";
}

// METRIC's meaning: fills kind, figure, per and unit; false when it names nothing.
bool resolve(const Vocabulary& v, std::string_view item, std::string_view metric, Criterion& c) {
  constexpr std::string_view kDev = ".deviation";
  if (metric.size() > kDev.size() && metric.ends_with(kDev)) {
    const std::string_view of = metric.substr(0, metric.size() - kDev.size());
    c.kind = Kind::Deviation;
    c.unit = Unit::Fraction;
    if (of == "concurrency") c.figure = v.concurrency;
    else if (v.rate && (of == v.rate || of == "rate")) c.figure = v.rate;
    else bad(item, fmt::format("{} has no interval figure '{}' (concurrency{}{})", v.command, of,
                               v.rate ? ", " : "", v.rate ? v.rate : ""));
    return true;
  }
  if (metric == "errors" || metric == "lost" || !cause_of(metric).empty()) {
    c.kind = Kind::Share;
    c.unit = Unit::Fraction;
    c.per = v.started;
    if (metric == "errors") c.figure = v.failed;
    else if (metric == "lost" && v.latency) bad(item, fmt::format("{} loses no held connections", v.command));
    else if (metric == "lost") c.figure = "/lost", c.per = "/established";
    else c.figure = "/errors/" + cause_of(metric);
    if (v.requests && is_request_cause(cause_of(metric))) {  // cc: its keepalive replies
      c.figure = "/request_errors/" + cause_of(metric);
      c.per = v.requests;
    }
    return true;
  }
  for (const auto& [name, key] : kLatencyKeys) {
    if (!metric.starts_with(name) || (metric.size() > name.size() && metric[name.size()] != '.'))
      continue;
    if (!v.latency) bad(item, fmt::format("{} measures no latency", v.command));
    const std::string_view phase =
        metric.size() > name.size() ? metric.substr(name.size() + 1) : std::string_view("total");
    if (std::find(kPhases.begin(), kPhases.end(), phase) == kPhases.end())
      bad(item, fmt::format("{} has no latency phase '{}' ({})", v.command, phase,
                            names_of(kPhases)));
    c.kind = Kind::Value;
    c.unit = Unit::Micros;
    c.figure = fmt::format("/latency_us/{}/{}", phase, key);
    return true;
  }
  // Aliases: the run's rate by its own name, goodput (body bytes per second, RFC 9411's
  // throughput with --object) by its summary key.
  const std::string_view name = metric == "rate" && v.rate ? std::string_view(v.rate)
                                : metric == "goodput"      ? std::string_view("goodput_bytes_per_s")
                                                           : metric;
  for (const auto& [figure, unit] : v.figures)
    if (name == figure) {
      c.kind = Kind::Value;
      c.unit = unit;
      c.figure = "/" + std::string(figure);
      return true;
    }
  return false;
}

std::string unknown_metric(const Vocabulary& v, std::string_view metric) {
  std::string known = "errors, a cause (refused, timeouts, resets, …), ";
  known += v.latency ? "p50|p90|p99|p99.9|max|mean[.PHASE], " : "lost, ";
  for (const auto& [figure, unit] : v.figures) known += std::string(figure) + ", ";
  known += "concurrency.deviation";
  return fmt::format("{} has no figure '{}' (it has {})", v.command, metric, known);
}

Criterion criterion(const Vocabulary& v, std::string_view item) {
  const std::size_t at = item.find_first_of("<>");
  if (at == std::string_view::npos || at == 0)
    bad(item, "expected METRIC OP VALUE, OP one of < <= > >= (e.g. p99.total<50ms)");
  Criterion c;
  c.text = std::string(item);
  const bool less = item[at] == '<';
  const bool equal = at + 1 < item.size() && item[at + 1] == '=';
  c.cmp = less ? (equal ? run::Cmp::AtMost : run::Cmp::Less)
               : (equal ? run::Cmp::AtLeast : run::Cmp::More);
  const std::string_view metric = item.substr(0, at);
  const std::string_view value = item.substr(at + (equal ? 2 : 1));
  if (value.empty()) bad(item, "no value after the comparison");
  if (!resolve(v, item, metric, c)) bad(item, unknown_metric(v, metric));
  switch (c.unit) {
    case Unit::Fraction: c.bound = share_bound(item, value); break;
    case Unit::Micros: c.bound = latency_bound(item, value); break;
    case Unit::Count:
    case Unit::Seconds: c.bound = figure_bound(item, value, c.unit); break;
  }
  return c;
}

}  // namespace

std::vector<Criterion> parse_criteria(std::string_view spec, Judged what) {
  const Vocabulary& v = vocabulary(what);
  std::vector<Criterion> out;
  std::size_t start = 0;
  while (start <= spec.size()) {
    const std::size_t comma = std::min(spec.find(',', start), spec.size());
    const std::string_view item = spec.substr(start, comma - start);
    if (item.empty()) throw UsageError("--criteria: an empty criterion (two commas, or one at an end)");
    if (item == "rfc9411") {
      for (const auto& p : v.rfc9411) {
        Criterion c = criterion(v, p.text);
        c.source = p.source;
        out.push_back(std::move(c));
      }
    } else {
      out.push_back(criterion(v, item));
    }
    start = comma + 1;
  }
  return out;
}

Criterion parse_metric(std::string_view metric, Judged what, std::string_view flag) {
  const Vocabulary& v = vocabulary(what);
  Criterion c;
  c.text = std::string(metric);
  try {
    if (resolve(v, metric, metric, c)) return c;
  } catch (const UsageError& e) {  // resolve's own words, under this flag
    throw UsageError(std::string(flag) + std::string(e.what()).substr(sizeof("--criteria") - 1));
  }
  bad(metric, unknown_metric(v, metric), flag);
}

std::vector<Criterion> run_criteria(const std::string& spec, double max_error_rate,
                                         Judged what) {
  std::vector<Criterion> out = spec.empty() ? std::vector<Criterion>() : parse_criteria(spec, what);
  if (max_error_rate >= 0) {
    Criterion c = criterion(vocabulary(what), fmt::format("errors<={}", max_error_rate));
    c.source = "--max-error-rate";
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace connperf::run
