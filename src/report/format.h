// The report's numbers as a reader wants them in tables and headline figures: thousands
// separators, a unit that fits (µs, ms, s; /s; %), error rates readable when tiny, dates in UTC,
// and result-document keys turned into labels. Pure.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace connperf::report {

// A figure and its unit apart, so a page can set the unit smaller: {"4,205.9", "/s"}.
struct Quantity {
  std::string value, unit;
  std::string text() const { return unit.empty() ? value : value + " " + unit; }
};

std::string count_text(double n);          // 12,618 (rounded to a whole number)
std::string rate_text(double per_second);  // 4,205.9; 0.35 below 1
Quantity latency_quantity(double us);      // {"45","µs"}, {"1.23","ms"}, {"2.50","s"}
Quantity percent_quantity(double ratio);   // {"0","%"}, {"0.0042","%"}, {"2.4","%"}
std::string duration_text(double seconds); // 0.25 s, 3.00 s, 2m05s
// "2026-12-07T18:23:55Z" → "2026-12-07 18:23:55 UTC"; anything else as given.
std::string date_text(const std::string& rfc3339);

// A summary or config value by its key's unit: "latency_us.p99"/"x_us" → latency; "_ms" → ms;
// "_s", "seconds", "duration", "warmup", "hold", "ramp" → duration; "cps", "qps", "rps",
// "_per_second" → rate /s; "error_rate" → %; "_kib" → KiB; other numbers → counts; lists joined
// by ", "; true/false → yes/no; null → "–".
std::string value_text(const std::string& key, const nlohmann::json& value);
// "error_total" → "errors", "time_to_reach_s" → "time to reach the target",
// "kernel.TcpExtListenOverflows" → "kernel TcpExtListenOverflows": the words a table shows.
std::string key_label(const std::string& key);

}  // namespace connperf::report
