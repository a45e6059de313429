#include "run/verdict.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "stats/format.h"

namespace connperf::run {

const char* to_string(Cmp cmp) noexcept {
  switch (cmp) {
    case Cmp::Less: return "<";
    case Cmp::AtMost: return "<=";
    case Cmp::More: return ">";
    case Cmp::AtLeast: return ">=";
  }
  return "?";
}

bool Verdict::pass() const noexcept {
  return std::all_of(checks.begin(), checks.end(), [](const Check& c) { return c.pass; });
}

namespace {

std::optional<double> number_at(const nlohmann::json& j, const std::string& pointer) {
  const nlohmann::json::json_pointer p(pointer);
  if (!j.contains(p)) return std::nullopt;
  const nlohmann::json& v = j.at(p);
  if (!v.is_number()) return std::nullopt;
  return v.get<double>();
}

// The largest distance of an interval's figure from the mean of all, as a share of the mean.
std::optional<double> deviation(std::span<const IntervalFigures> intervals,
                                const std::string& key) {
  std::vector<double> xs;
  for (const auto& i : intervals)
    for (const auto& [k, v] : i.values)
      if (k == key) xs.push_back(v);
  if (xs.size() < 2) return std::nullopt;  // one interval cannot stray from itself
  double sum = 0;
  for (double x : xs) sum += x;
  const double mean = sum / static_cast<double>(xs.size());
  if (mean <= 0) return std::nullopt;
  double worst = 0;
  for (double x : xs) worst = std::max(worst, std::fabs(x - mean));
  return worst / mean;
}

}  // namespace

std::optional<double> measure(const Criterion& c, const nlohmann::json& summary,
                              std::span<const IntervalFigures> intervals) {
  switch (c.kind) {
    case Criterion::Kind::Value: {
      // A latency of nothing measured is no figure (the histogram says 0).
      if (c.unit == Criterion::Unit::Micros) {
        const std::string phase = c.figure.substr(0, c.figure.rfind('/'));
        if (number_at(summary, phase + "/count").value_or(0) == 0) return std::nullopt;
      }
      return number_at(summary, c.figure);
    }
    case Criterion::Kind::Share: {
      const auto part = number_at(summary, c.figure);
      const auto whole = number_at(summary, c.per);
      if (!part || !whole || *whole <= 0) return std::nullopt;
      return *part / *whole;
    }
    case Criterion::Kind::Deviation:
      return deviation(intervals, c.figure);
  }
  return std::nullopt;
}

namespace {

bool holds(Cmp cmp, double x, double bound) {
  switch (cmp) {
    case Cmp::Less: return x < bound;
    case Cmp::AtMost: return x <= bound;
    case Cmp::More: return x > bound;
    case Cmp::AtLeast: return x >= bound;
  }
  return false;
}

}  // namespace

std::string format_value(Criterion::Unit unit, double v) {
  switch (unit) {
    case Criterion::Unit::Fraction: return fmt::format("{:.4g}%", v * 100);
    case Criterion::Unit::Micros: return stats::format_us(static_cast<std::uint64_t>(std::llround(v)));
    case Criterion::Unit::Seconds: return fmt::format("{:.2f}s", v);
    case Criterion::Unit::Count:
      if (v == std::floor(v) && std::fabs(v) < 1e15)
        return stats::format_count(static_cast<std::uint64_t>(std::max(0.0, v)));
      return stats::format_rate(v);
  }
  return fmt::format("{}", v);
}

namespace {

std::string measured_text(const Check& c) {
  return c.measured ? "measured " + format_value(c.criterion.unit, *c.measured)
                    : std::string("not measured");
}

}  // namespace

Verdict judge(const std::vector<Criterion>& criteria, const nlohmann::json& summary,
              std::span<const IntervalFigures> intervals) {
  // Only full intervals (as long as the median one, within 10%): the last, shorter one holds the
  // tail of the run, not its steady state.
  std::vector<double> lengths;
  for (const auto& i : intervals) lengths.push_back(i.seconds);
  std::sort(lengths.begin(), lengths.end());
  const double full = lengths.empty() ? 0 : lengths[lengths.size() / 2];
  std::vector<IntervalFigures> kept;
  for (const auto& i : intervals)
    if (i.seconds >= full * 0.9) kept.push_back(i);
  Verdict v;
  for (const Criterion& c : criteria) {
    Check check{c, measure(c, summary, kept), false};
    check.pass = check.measured && holds(c.cmp, *check.measured, c.bound);
    v.checks.push_back(std::move(check));
  }
  return v;
}

std::string verdict_text(const Verdict& v) {
  const auto met = std::count_if(v.checks.begin(), v.checks.end(),
                                 [](const Check& c) { return c.pass; });
  std::string out = fmt::format("verdict: {} ({} of {} criteria met)\n", v.pass() ? "PASS" : "FAIL",
                                met, v.checks.size());
  std::size_t width = 0;
  for (const auto& c : v.checks) width = std::max(width, c.criterion.text.size());
  for (const auto& c : v.checks) {
    out += fmt::format("  {}  {:<{}}  {}", c.pass ? "pass" : "FAIL", c.criterion.text,
                       width, measured_text(c));
    if (!c.criterion.source.empty()) out += fmt::format("  ({})", c.criterion.source);
    out += '\n';
  }
  return out;
}

nlohmann::json verdict_json(const Verdict& v) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& c : v.checks) {
    nlohmann::json row = {{"criterion", c.criterion.text},
                          {"bound", c.criterion.bound},
                          {"measured", c.measured ? nlohmann::json(*c.measured) : nlohmann::json()},
                          {"pass", c.pass}};
    if (!c.criterion.source.empty()) row["source"] = c.criterion.source;
    list.push_back(std::move(row));
  }
  return {{"pass", v.pass()}, {"criteria", std::move(list)}};
}

std::string verdict_reason(const Verdict& v) {
  std::string failed;
  for (const auto& c : v.checks)
    if (!c.pass)
      failed += fmt::format("{}{} ({})", failed.empty() ? "" : ", ", c.criterion.text,
                            measured_text(c));
  return failed.empty() ? failed : "criteria not met: " + failed;
}

namespace {

class VerdictJob final : public JobDecorator {
 public:
  VerdictJob(std::unique_ptr<Job> job, std::vector<Criterion> criteria)
      : JobDecorator(std::move(job)), criteria_(std::move(criteria)) {
    for (const auto& c : criteria_)
      if (c.kind == Criterion::Kind::Deviation &&
          std::find(keys_.begin(), keys_.end(), c.figure) == keys_.end())
        keys_.push_back(c.figure);
  }

  void interval(double t, double seconds, nlohmann::json& j, std::string& line) override {
    load_->interval(t, seconds, j, line);
    // With phases only the sustain phase is judged (RFC 9411: its KPIs are the sustain phase's).
    if (keys_.empty() || j.value("phase", "sustain") != "sustain") return;
    IntervalFigures f{seconds, {}};
    for (const auto& k : keys_)
      if (j.contains(k) && j[k].is_number()) f.values.emplace_back(k, j[k].get<double>());
    intervals_.push_back(std::move(f));
  }

  void summary(double elapsed, std::string& text, nlohmann::json& j) override {
    load_->summary(elapsed, text, j);
    verdict_ = judge(criteria_, j.contains("sustain") ? j["sustain"] : j, intervals_);
    if (!text.empty() && text.back() != '\n') text += '\n';
    text += verdict_text(*verdict_);
  }

  void add_sections(nlohmann::json& doc) override {
    load_->add_sections(doc);
    if (verdict_) doc["verdict"] = verdict_json(*verdict_);
  }

  int exit_code() const override {
    const int inner = load_->exit_code();
    if (inner != kOk || !verdict_) return inner;
    return verdict_->pass() ? kOk : kErrorRate;
  }
  std::string exit_reason() const override {
    std::string why = load_->exit_reason();
    if (why.empty() && verdict_) why = verdict_reason(*verdict_);
    return why;
  }

 private:
  std::vector<Criterion> criteria_;
  std::vector<std::string> keys_;  // the interval figures that Deviation criteria read
  std::vector<IntervalFigures> intervals_;
  std::optional<Verdict> verdict_;
};

}  // namespace

std::unique_ptr<Job> with_verdict(std::unique_ptr<Job> job, std::vector<Criterion> criteria) {
  if (criteria.empty()) return job;
  return std::make_unique<VerdictJob>(std::move(job), std::move(criteria));
}

}  // namespace connperf::run
