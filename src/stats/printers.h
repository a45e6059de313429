// Turns snapshots into what users read: per-interval table lines, summary blocks and the JSON
// documents of DESIGN.md section 4. Pure functions; the commands decide where output goes.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "stats/client_stats.h"
#include "stats/histogram.h"
#include "stats/proxy_stats.h"
#include "stats/server_stats.h"

namespace connperf::stats {

std::string format_count(std::uint64_t n);   // 1,234,567
std::string format_rate(double per_second);  // 41,228.1
std::string format_us(std::uint64_t us);     // 45us, 1.23ms, 2.50s

nlohmann::json latency_json(const Histogram& h);

// crr
std::string crr_header();
std::string crr_line(double t, const ClientSnapshot& interval, double seconds);
nlohmann::json crr_interval_json(double t, const ClientSnapshot& interval, double seconds);
nlohmann::json errors_json(const ClientSnapshot& s);
nlohmann::json errors_other_json(const ClientSnapshot& s);
nlohmann::json crr_summary_json(const ClientSnapshot& total, std::uint64_t aborted,
                                double seconds);
// open_loop (--rate): latency rows "scheduled" (from the scheduled start, total_us) and
// "service" (from the send, response_us), labelled; else connect, response, total.
std::string crr_summary_text(const ClientSnapshot& total, std::uint64_t aborted, double seconds,
                             bool open_loop = false);
// rr: the same counts per request ("requests" completed); latency: connect and response, or
// with open_loop connect, scheduled and service as for crr.
std::string rr_summary_text(const ClientSnapshot& total, std::uint64_t aborted, double seconds,
                            bool open_loop = false);

// rr: completed requests are the `requests`
std::string rr_header();
std::string rr_line(double t, const ClientSnapshot& interval, std::uint64_t open, double seconds);
nlohmann::json rr_summary_json(const ClientSnapshot& total, std::uint64_t aborted, double seconds);

// server
std::string server_header();
std::string server_line(double t, const ListenerSnapshot& interval, std::uint64_t active,
                        double seconds);
// {"accepted",...,"errors","active"}: counters as in `counts`; `active` is a gauge, the
// connections open now. The one-argument form is for totals since the start.
nlohmann::json server_counts_json(const ListenerSnapshot& counts, std::uint64_t active);
nlohmann::json server_counts_json(const ListenerSnapshot& total);
// An interval: the counters from `before` to `now` (never wrapping), `active` now's.
nlohmann::json server_interval_json(const ListenerSnapshot& now, const ListenerSnapshot& before);
nlohmann::json server_summary_json(const std::vector<std::string>& addresses,
                                   const std::vector<ListenerSnapshot>& listeners,
                                   const std::map<std::string, std::uint64_t>& peers,
                                   double seconds);
std::string server_summary_text(const std::vector<std::string>& addresses,
                                const std::vector<ListenerSnapshot>& listeners,
                                const std::map<std::string, std::uint64_t>& peers,
                                double seconds);

// proxy
std::string format_bytes(std::uint64_t n);  // 512 B, 1.5 KiB, 3.25 GiB
std::string proxy_header();
std::string proxy_line(double t, const ProxySnapshot& interval, std::uint64_t active,
                       double seconds);
nlohmann::json proxy_counts_json(const ProxySnapshot& s);  // every count, statuses as an object
nlohmann::json proxy_summary_json(const ProxySnapshot& total, double seconds);
std::string proxy_summary_text(const ProxySnapshot& total, double seconds);

}  // namespace connperf::stats
