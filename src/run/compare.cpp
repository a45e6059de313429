#include "run/compare.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace connperf::run {

const char* to_string(MetricChange::Verdict v) noexcept {
  switch (v) {
    case MetricChange::Verdict::Better: return "better";
    case MetricChange::Verdict::Worse: return "worse";
    case MetricChange::Verdict::Same: return "same";
    case MetricChange::Verdict::Unknown: break;
  }
  return "not measured";
}

bool Comparison::regressed() const noexcept {
  return std::any_of(metrics.begin(), metrics.end(), [](const auto& m) { return m.regressed; });
}

std::optional<double> mann_whitney_p(std::span<const double> xs, std::span<const double> ys) {
  const std::size_t n1 = xs.size(), n2 = ys.size(), n = n1 + n2;
  if (n1 < 2 || n2 < 2) return std::nullopt;
  std::vector<std::pair<double, int>> all;  // value, side
  for (double x : xs) all.emplace_back(x, 0);
  for (double y : ys) all.emplace_back(y, 1);
  std::sort(all.begin(), all.end());
  double r1 = 0, ties = 0;  // the rank sum of xs; sum of t^3 - t over tied groups
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j < n && all[j].first == all[i].first) ++j;
    const double rank = (static_cast<double>(i + j) + 1) / 2;  // mean of ranks i+1 .. j
    for (std::size_t k = i; k < j; ++k)
      if (all[k].second == 0) r1 += rank;
    const double t = static_cast<double>(j - i);
    ties += t * t * t - t;
    i = j;
  }
  const double a = static_cast<double>(n1), b = static_cast<double>(n2), m = static_cast<double>(n);
  const double u = r1 - a * (a + 1) / 2;
  const double mean = a * b / 2;
  const double var = a * b / 12 * ((m + 1) - ties / (m * (m - 1)));
  if (var <= 0) return 1.0;  // every value equal: no difference
  const double z = std::max(0.0, std::fabs(u - mean) - 0.5) / std::sqrt(var);
  return std::erfc(z / std::sqrt(2.0));
}

namespace {

using json = nlohmann::json;

bool higher_is_better(const Criterion& c) {
  return c.kind == Criterion::Kind::Value && c.unit == Criterion::Unit::Count &&
         c.figure != "/aborted";
}

// The intervals that speak for the run: full length (as the median one, within 10%) and, with
// phases, the sustain phase's.
std::vector<const json*> steady_intervals(const json& doc) {
  std::vector<const json*> out;
  if (!doc.contains("intervals") || !doc["intervals"].is_array()) return out;
  std::vector<double> lengths;
  for (const auto& i : doc["intervals"]) lengths.push_back(i.value("seconds", 0.0));
  if (lengths.empty()) return out;
  std::sort(lengths.begin(), lengths.end());
  const double full = lengths[lengths.size() / 2];
  for (const auto& i : doc["intervals"])
    if (i.value("seconds", 0.0) >= full * 0.9 && i.value("phase", "sustain") == "sustain")
      out.push_back(&i);
  return out;
}

// The metric's value in each interval, where the intervals carry it: the rate, p50/p99 of
// connect, response and total, the error rate.
std::vector<double> series(const json& doc, const Criterion& c) {
  std::string figure, per;
  if (c.figure == "/cps" || c.figure == "/qps") {
    figure = c.figure;
  } else if (c.figure == "/error_total" && c.kind == Criterion::Kind::Share) {
    figure = "/errors";
    per = "/started";
  } else if (c.unit == Criterion::Unit::Micros) {
    for (const char* phase : {"connect", "response", "total"})
      for (const char* p : {"p50", "p99"})
        if (c.figure == fmt::format("/latency_us/{}/{}", phase, p))
          figure = fmt::format("/{}_us/{}", phase, p);
  }
  std::vector<double> out;
  if (figure.empty()) return out;
  for (const json* i : steady_intervals(doc)) {
    const json::json_pointer f(figure);
    if (!i->contains(f) || !i->at(f).is_number()) continue;
    double v = i->at(f).get<double>();
    if (!per.empty()) {
      const double whole = i->value(json::json_pointer(per), 0.0);
      if (whole <= 0) continue;
      v /= whole;
    }
    out.push_back(v);
  }
  return out;
}

const json& judged_summary(const json& doc) {
  const json& s = doc["summary"];
  return s.contains("sustain") ? s["sustain"] : s;
}

void judge(MetricChange& m, double tolerance, double level = kNoiseLevel) {
  if (!m.base || !m.now) return;
  const double delta = *m.now - *m.base;
  const double scale = std::fabs(*m.base);
  const bool beyond = scale > 0 ? std::fabs(delta) / scale > tolerance : delta != 0;
  const bool worse = m.higher_is_better ? delta < 0 : delta > 0;
  const bool overlap = m.base_range && m.now_range &&
                       m.base_range->first <= m.now_range->second &&
                       m.now_range->first <= m.base_range->second;
  const bool noisy = (m.p_value && *m.p_value >= level) || overlap;
  if (!beyond || noisy) m.verdict = MetricChange::Verdict::Same;
  else m.verdict = worse ? MetricChange::Verdict::Worse : MetricChange::Verdict::Better;
  m.regressed = m.verdict == MetricChange::Verdict::Worse;
}

MetricChange change_of(const std::string& name, const Criterion& c, const json& base,
                       const json& now, std::optional<double> p, double tolerance) {
  MetricChange m;
  m.name = name;
  m.unit = c.unit;
  m.higher_is_better = higher_is_better(c);
  m.base = measure(c, base, {});
  m.now = measure(c, now, {});
  m.p_value = p;
  judge(m, tolerance);
  return m;
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// One side's runs on one metric: the median into `value`, min–max into `range`; nothing when a
// run lacks the metric.
void measure_rounds(const Criterion& c, std::span<const json> docs, std::optional<double>& value,
                    std::optional<std::pair<double, double>>& range) {
  std::vector<double> values;
  for (const json& doc : docs) {
    const auto v = measure(c, judged_summary(doc), {});
    if (!v) return;
    values.push_back(*v);
  }
  if (values.empty()) return;
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  range.emplace(*lo, *hi);
  value = median_of(std::move(values));
}

// rr --sweep: summary.steps[]; models: summary.models[].steps[] under each model's name.
std::vector<std::pair<std::string, const json*>> step_groups(const json& doc) {
  std::vector<std::pair<std::string, const json*>> out;
  const json& s = doc["summary"];
  if (s.contains("steps") && s["steps"].is_array()) out.emplace_back("", &s["steps"]);
  if (s.contains("models") && s["models"].is_array())
    for (const auto& m : s["models"])
      if (m.contains("steps") && m["steps"].is_array())
        out.emplace_back(m.value("model", "?"), &m["steps"]);
  return out;
}

Criterion step_figure(std::string figure, Criterion::Unit unit) {
  Criterion c;
  c.figure = std::move(figure);
  c.unit = unit;
  return c;
}

void compare_steps(const json& base, const json& now, double tolerance, Comparison& out) {
  const auto groups = step_groups(now);
  for (const auto& [model, old_steps] : step_groups(base)) {
    const auto it = std::find_if(groups.begin(), groups.end(),
                                 [&](const auto& g) { return g.first == model; });
    if (it == groups.end()) continue;
    for (const auto& step : *old_steps) {
      for (const auto& other : *it->second) {
        if (other.value("connections", 0) != step.value("connections", 0)) continue;
        const std::string at = fmt::format(" @ {}{}", step.value("connections", 0),
                                           model.empty() ? "" : " (" + model + ")");
        const Criterion rate = step_figure(step.contains("qps") ? "/qps" : "/cps", Criterion::Unit::Count);
        const Criterion p99 = step_figure("/latency_us/response/p99", Criterion::Unit::Micros);
        const Criterion errors = step_figure("/error_rate", Criterion::Unit::Fraction);
        out.metrics.push_back(change_of(rate.figure.substr(1) + at, rate, step, other, {}, tolerance));
        out.metrics.push_back(change_of("p99" + at, p99, step, other, {}, tolerance));
        MetricChange e = change_of("error rate" + at, errors, step, other, {}, tolerance);
        e.higher_is_better = false;
        judge(e, tolerance);
        out.metrics.push_back(std::move(e));
      }
    }
  }
}

}  // namespace

Comparison compare_results(const json& base, const json& now, const std::vector<Criterion>& metrics,
                           double tolerance) {
  Comparison out;
  if (!step_groups(base).empty()) {
    compare_steps(base, now, tolerance, out);
    return out;
  }
  for (const Criterion& c : metrics) {
    const std::vector<double> xs = series(base, c), ys = series(now, c);
    out.metrics.push_back(change_of(c.text, c, judged_summary(base), judged_summary(now),
                                    mann_whitney_p(xs, ys), tolerance));
  }
  // Several tests at once: each at the level over their number (Bonferroni), so that the chance
  // of calling noise a change stays at kNoiseLevel for the whole comparison.
  const auto tested = std::count_if(out.metrics.begin(), out.metrics.end(),
                                    [](const MetricChange& m) { return m.p_value.has_value(); });
  for (auto& m : out.metrics)
    judge(m, tolerance, kNoiseLevel / static_cast<double>(std::max<std::ptrdiff_t>(tested, 1)));
  return out;
}

Comparison compare_rounds(std::span<const json> base, std::span<const json> now,
                          const std::vector<Criterion>& metrics, double tolerance) {
  if (base.size() == 1 && now.size() == 1)
    return compare_results(base[0], now[0], metrics, tolerance);
  Comparison out;
  for (const Criterion& c : metrics) {
    MetricChange m;
    m.name = c.text;
    m.unit = c.unit;
    m.higher_is_better = higher_is_better(c);
    measure_rounds(c, base, m.base, m.base_range);
    measure_rounds(c, now, m.now, m.now_range);
    judge(m, tolerance);
    out.metrics.push_back(std::move(m));
  }
  return out;
}

namespace {

// A side's value as the table prints it; with several runs, their range beside the median.
std::string side_text(const MetricChange& m, const std::optional<double>& v,
                      const std::optional<std::pair<double, double>>& range) {
  if (!v) return "-";
  std::string out = format_value(m.unit, *v);
  if (range && range->first != range->second)
    out += fmt::format(" ({}–{})", format_value(m.unit, range->first),
                       format_value(m.unit, range->second));
  return out;
}

std::string change_text(const MetricChange& m) {
  if (!m.base || !m.now) return "-";
  if (*m.base != 0) return fmt::format("{:+.1f}%", (*m.now - *m.base) / std::fabs(*m.base) * 100);
  return *m.now == 0 ? "0" : "from 0";
}

// The noise column: the p-value of one run a side, whether the runs' ranges overlap with several.
std::string noise_text(const MetricChange& m) {
  if (m.p_value) return fmt::format("{:.3f}", *m.p_value);
  if (!m.base_range || !m.now_range) return "-";
  const bool apart = m.base_range->second < m.now_range->first ||
                     m.now_range->second < m.base_range->first;
  return apart ? "apart" : "overlap";
}

}  // namespace

std::string comparison_text(const Comparison& c, double tolerance) {
  std::size_t name_w = 6, value_w = 12;
  for (const auto& m : c.metrics) {
    name_w = std::max(name_w, m.name.size());
    value_w = std::max({value_w, side_text(m, m.base, m.base_range).size(),
                        side_text(m, m.now, m.now_range).size()});
  }
  std::string out = fmt::format("{:<{}} {:>{}} {:>{}} {:>9} {:>9}  {}\n", "metric", name_w, "base",
                                value_w, "new", value_w, "change", "noise", "verdict");
  bool rounds = false;
  for (const auto& m : c.metrics) {
    rounds = rounds || m.base_range;
    out += fmt::format("{:<{}} {:>{}} {:>{}} {:>9} {:>9}  {}{}\n", m.name, name_w,
                       side_text(m, m.base, m.base_range), value_w,
                       side_text(m, m.now, m.now_range), value_w, change_text(m), noise_text(m),
                       to_string(m.verdict), m.regressed ? " (regressed)" : "");
  }
  out += c.regressed()
             ? fmt::format("regressed: worse by more than {:g}% and beyond the noise\n", tolerance * 100)
             : fmt::format("no regression beyond {:g}% and the noise\n", tolerance * 100);
  out += rounds ? "(several runs a side: medians, the runs' min–max in brackets; a change is "
                  "beyond the noise only when the ranges are apart)\n"
                : "(noise: Mann–Whitney p over the intervals, beyond the noise below 0.05 over the "
                  "metrics tested; '-': no interval figures, the tolerance alone decides; one run "
                  "a side misses the run-to-run spread: compare several, A.json,B.json,...)\n";
  return out;
}

json comparison_json(const Comparison& c) {
  json list = json::array();
  for (const auto& m : c.metrics) {
    auto opt = [](const std::optional<double>& v) { return v ? json(*v) : json(); };
    auto range = [](const std::optional<std::pair<double, double>>& r) {
      return r ? json::array({r->first, r->second}) : json();
    };
    list.push_back({{"metric", m.name},
                    {"base", opt(m.base)},
                    {"new", opt(m.now)},
                    {"p_value", opt(m.p_value)},
                    {"base_range", range(m.base_range)},
                    {"new_range", range(m.now_range)},
                    {"higher_is_better", m.higher_is_better},
                    {"verdict", to_string(m.verdict)},
                    {"regressed", m.regressed}});
  }
  return {{"metrics", std::move(list)}, {"regressed", c.regressed()}};
}

}  // namespace connperf::run
