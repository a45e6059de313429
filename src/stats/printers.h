// Turns snapshots into what users read: per-interval table lines, summary blocks and the JSON
// documents of DESIGN.md section 4. Pure functions; the commands decide where output goes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "stats/client_stats.h"
#include "stats/format.h"
#include "stats/histogram.h"
#include "stats/proxy_stats.h"
#include "stats/server_stats.h"

namespace connperf::stats {

nlohmann::json latency_json(const Histogram& h);
// One row of a latency table: "  name  p50 p90 p99 p99.9 max mean" ("-" when empty).
std::string latency_row(const char* name, const Histogram& h);
// --object: whether the snapshot names object sizes; the goodput column's cell (" " and the
// rate, "" without objects); goodput (response body bytes per second, RFC 9411) then a line
// per size.
bool has_objects(const ClientSnapshot& s);
std::string goodput_cell(const ClientSnapshot& d, double seconds);
std::string objects_text(const ClientSnapshot& t, double seconds);

// When attempts were made and none completed: one line naming the most frequent cause, its
// count and `target`, with the likely fix ("nothing completed: 46,080 refused by 127.0.0.1:9 —
// is anything listening?"). Empty when anything completed or nothing was attempted.
std::string nothing_completed(const ClientSnapshot& total, const std::string& target);

// crr
std::string crr_header(bool goodput = false);  // goodput: a column for --object
std::string crr_line(double t, const ClientSnapshot& interval, double seconds);
nlohmann::json crr_interval_json(double t, const ClientSnapshot& interval, double seconds);
nlohmann::json errors_json(const ClientSnapshot& s);
// --object: [{size, completed, body_bytes, goodput_bytes_per_s}] per size asked for.
nlohmann::json objects_json(const ClientSnapshot& s, double seconds);
nlohmann::json errors_other_json(const ClientSnapshot& s);
nlohmann::json crr_summary_json(const ClientSnapshot& total, std::uint64_t aborted,
                                double seconds);
// open_loop (--rate): latency rows "scheduled" (from the scheduled start, total_us) and
// "service" (from the send, response_us), labelled; else connect, response, total. The rate is
// over the load's `seconds`; `drain`, the seconds after it that what was in flight took to end,
// is shown apart.
std::string crr_summary_text(const ClientSnapshot& total, std::uint64_t aborted, double seconds,
                             bool open_loop = false, double drain = 0);
// --tls: what the handshakes negotiated (the first one seen; OpenSSL's names, "" when none
// completed).
struct TlsNames {
  std::string version;
  std::string cipher;
  std::string group;
};
// {full, resumed, version, cipher, group}: summary.tls of crr, rr and cc.
nlohmann::json tls_json(const ClientSnapshot& total, const TlsNames& names);
// Adds summary.tls {full, resumed, version, cipher, group}, latency_us.tls and histograms.tls
// to a crr or rr summary object.
void add_tls_summary(nlohmann::json& summary, const ClientSnapshot& total, const TlsNames& names);
// "tls handshakes  full 1,000, resumed 9,000 (TLSv1.3, TLS_AES_256_GCM_SHA384, x25519)"
std::string tls_summary_text(const ClientSnapshot& total, const TlsNames& names);
// rr: the same counts per request ("requests" completed); latency: connect and response, or
// with open_loop connect, scheduled and service as for crr.
std::string rr_summary_text(const ClientSnapshot& total, std::uint64_t aborted, double seconds,
                            bool open_loop = false, double drain = 0);
// cc: attempted, established, failed by cause, lost, survived (open at the end of the hold),
// and how long it took to have all `target` open at once (`reached_s`, none when it never did).
std::string cc_summary_text(const ClientSnapshot& attempts, std::uint64_t lost,
                            std::uint64_t survived, std::uint64_t target,
                            std::optional<double> reached_s);
// A latency percentile as a table cell: "-" when nothing was measured.
std::string percentile_cell(const Histogram& h, double p);

// rr: completed requests are the `requests`
std::string rr_header(bool goodput = false);
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
// server --tls: {"full", "resumed", "failed"} handshakes in `counts`, and the summary's line.
// With `alerts` (the summary's), also alerts_sent and alerts_received: the failed handshakes by
// the alert's name ({"protocol version": 3}).
nlohmann::json server_tls_json(const ListenerSnapshot& counts, bool alerts = false);
std::string server_tls_text(const ListenerSnapshot& total);
std::string server_summary_text(const std::vector<std::string>& addresses,
                                const std::vector<ListenerSnapshot>& listeners,
                                const std::map<std::string, std::uint64_t>& peers,
                                double seconds);

// proxy
std::string proxy_header();
std::string proxy_line(double t, const ProxySnapshot& interval, std::uint64_t active,
                       double seconds);
nlohmann::json proxy_counts_json(const ProxySnapshot& s);  // every count, statuses as an object
nlohmann::json proxy_summary_json(const ProxySnapshot& total, double seconds);
std::string proxy_summary_text(const ProxySnapshot& total, double seconds);

}  // namespace connperf::stats
