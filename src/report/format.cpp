#include "report/format.h"

#include <cmath>
#include <map>

#include <fmt/format.h>

#include "stats/format.h"

namespace connperf::report {

namespace {

bool ends_with_any(const std::string& key, std::initializer_list<const char*> suffixes) {
  for (const char* s : suffixes)
    if (key.ends_with(s)) return true;
  return false;
}

// The last dotted segment: "latency_us.total.p99" → "p99".
std::string last_segment(const std::string& key) { return key.substr(key.find_last_of('.') + 1); }

// A number that is not a count: separators on the whole part, `decimals` after the point.
std::string grouped(double v, int decimals) {
  const bool negative = v < 0;
  const double a = std::abs(v);
  std::string text = fmt::format("{:.{}f}", a, decimals);
  const std::size_t point = text.find('.');
  const double whole = std::floor(std::stod(text.substr(0, point)));
  std::string out = stats::format_count(static_cast<std::uint64_t>(whole));
  if (point != std::string::npos) out += text.substr(point);
  return negative && a > 0 ? "-" + out : out;
}

std::string number_text(const std::string& key, double v, bool integral) {
  const std::string last = last_segment(key);
  if (key.find("_us") != std::string::npos) return latency_quantity(v).text();
  if (ends_with_any(last, {"_ms"})) return count_text(v) + " ms";
  if (ends_with_any(last, {"_s", "seconds", "duration", "warmup", "hold", "ramp", "interval"}))
    return duration_text(v);
  if (last == "cps" || last == "qps" || last == "rps" || ends_with_any(last, {"_per_second"}))
    return rate_text(v) + "/s";
  if (ends_with_any(last, {"error_rate", "_ratio", "_share"})) return percent_quantity(v).text();
  if (ends_with_any(last, {"_pct"})) return percent_quantity(v / 100).text();
  if (ends_with_any(last, {"_kib", "kib_per_connection"})) return grouped(v, 1) + " KiB";
  if (ends_with_any(last, {"bytes", "bytes_up", "bytes_down"}) && v >= 0)
    return stats::format_bytes(static_cast<std::uint64_t>(v));
  if (integral || v == std::floor(v)) return count_text(v);
  return rate_text(v);
}

}  // namespace

std::string count_text(double n) {
  if (!std::isfinite(n)) return "–";
  const double r = std::round(n);
  return r < 0 ? "-" + stats::format_count(static_cast<std::uint64_t>(-r))
               : stats::format_count(static_cast<std::uint64_t>(r));
}

std::string rate_text(double per_second) {
  if (!std::isfinite(per_second)) return "–";
  if (per_second != 0 && std::abs(per_second) < 1) return grouped(per_second, 2);
  return grouped(per_second, 1);
}

Quantity latency_quantity(double us) {
  if (!std::isfinite(us) || us < 0) return {"–", ""};
  if (us < 1000) return {fmt::format("{:.0f}", us), "µs"};
  if (us < 1'000'000) return {fmt::format("{:.2f}", us / 1e3), "ms"};
  return {grouped(us / 1e6, 2), "s"};
}

Quantity percent_quantity(double ratio) {
  if (!std::isfinite(ratio)) return {"–", ""};
  const double pct = ratio * 100;
  if (pct == 0) return {"0", "%"};
  // Two significant digits below 1%, so 3 errors in a million still read as something.
  if (std::abs(pct) < 1) {
    const int digits = 1 - static_cast<int>(std::floor(std::log10(std::abs(pct))));
    return {fmt::format("{:.{}f}", pct, std::min(digits, 8)), "%"};
  }
  std::string text = fmt::format("{:.1f}", pct);
  if (text.ends_with(".0")) text.resize(text.size() - 2);
  return {text, "%"};
}

std::string duration_text(double s) {
  if (!std::isfinite(s)) return "–";
  if (s < 120) return fmt::format("{:.2f} s", s);
  const auto whole = static_cast<long>(std::round(s));
  if (whole < 7200) return fmt::format("{}m{:02}s", whole / 60, whole % 60);
  return fmt::format("{}h{:02}m", whole / 3600, whole / 60 % 60);
}

std::string date_text(const std::string& at) {
  // 2026-12-07T18:23:55Z, optionally with fractions of a second
  if (at.size() < 20 || at[4] != '-' || at[7] != '-' || at[10] != 'T' || at[13] != ':' ||
      at[16] != ':' || at.back() != 'Z')
    return at;
  return at.substr(0, 10) + " " + at.substr(11, 8) + " UTC";
}

std::string value_text(const std::string& key, const nlohmann::json& v) {
  if (v.is_null()) return "–";
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number()) return number_text(key, v.get<double>(), v.is_number_integer() ||
                                                              v.is_number_unsigned());
  if (v.is_array()) {
    std::string out;
    for (const auto& e : v) out += (out.empty() ? "" : ", ") + value_text(key, e);
    return out.empty() ? "none" : out;
  }
  return v.dump();
}

std::string key_label(const std::string& key) {
  static const std::map<std::string, std::string> kLabels = {
      {"error_total", "errors"},
      {"cps", "rate (connections/s)"},
      {"qps", "rate (requests/s)"},
      {"rps", "rate (requests/s)"},
      {"seconds", "measured time"},
      {"drain_s", "drain after the load"},
      {"time_wait", "TIME_WAIT sockets at the end"},
      {"answered_connections", "connections that got any response"},
      {"open_connections", "connections open"},
      {"time_to_reach_s", "time to reach the target"},
      {"target", "target (connections)"},
      {"timeout_ms", "timeout"},
      {"bind_addresses", "source addresses (--bind)"},
      {"concurrency", "in flight (-c)"},
      {"count", "count (-n, 0: none)"},
      {"rate", "rate (--rate, 0: as fast as possible)"},
      {"error_rate", "error rate"},
      {"kib_per_connection", "KiB per connection"},
      {"accepted_per_second", "accepted per second"},
  };
  if (const auto it = kLabels.find(key); it != kLabels.end()) return it->second;
  std::string out = key;
  for (const char* unit : {"_us", "_ms", "_s", "_pct", "_kib"})
    if (out.ends_with(unit) && out.size() > std::string(unit).size()) {
      out.resize(out.size() - std::string(unit).size());
      break;
    }
  for (char& ch : out)
    if (ch == '_' || ch == '.') ch = ' ';
  return out;
}

}  // namespace connperf::report
