#include "stats/printers.h"

#include <string_view>

#include <fmt/format.h>

#include "net/error.h"
#include "tls/tls.h"
#include "stats/histogram_json.h"

namespace connperf::stats {

namespace {

constexpr double kPercentiles[] = {50, 90, 99, 99.9};

double per_second(std::uint64_t n, double seconds) {
  return seconds > 0 ? static_cast<double>(n) / seconds : 0.0;
}

ListenerSnapshot sum(const std::vector<ListenerSnapshot>& listeners) {
  ListenerSnapshot total;
  for (const auto& l : listeners) total += l;
  return total;
}

}  // namespace

std::string latency_row(const char* name, const Histogram& h) {
  if (h.count() == 0) return fmt::format("  {:<10}{:>10}\n", name, "-");
  std::string row = fmt::format("  {:<10}", name);
  for (double p : kPercentiles) row += fmt::format("{:>10}", format_us(h.percentile(p)));
  row += fmt::format("{:>10}{:>10}\n", format_us(h.max()),
                     format_us(static_cast<std::uint64_t>(h.mean() + 0.5)));
  return row;
}

nlohmann::json latency_json(const Histogram& h) {
  return {{"p50", h.percentile(50)},   {"p90", h.percentile(90)},
          {"p99", h.percentile(99)},   {"p999", h.percentile(99.9)},
          {"max", h.max()},            {"mean", h.mean()},
          {"count", h.count()}};
}

std::string nothing_completed(const ClientSnapshot& total, const std::string& target) {
  if (total.completed > 0 || total.started == 0) return {};
  std::size_t top = 0;
  for (std::size_t k = 1; k < kErrorKinds; ++k)
    if (total.errors[k] > total.errors[top]) top = k;
  if (total.errors[top] == 0)
    return fmt::format("nothing completed: {} attempts to {} ended without a response",
                       format_count(total.started), target);
  // What happened to the attempts, and the likely fix, per cause.
  static constexpr const char* kWhat[kErrorKinds][2] = {
      {"refused by", "is anything listening?"},
      {"timed out on", "does it answer within --timeout?"},
      {"reset by", "it resets every connection"},
      {"found no route to", "is there a route to it?"},
      {"found no local port for", "--close rst, more --bind addresses or a lower --rate"},
      {"closed early by", "it closes before answering: does it speak --request?"},
      {"answered badly by", "its replies are not what --request expects"},
      {"failed the TLS handshake with", "do both sides share a version, cipher and group?"},
      {"failed certificate verification by", "give its CA with --ca, or leave out --verify"},
      {"answered in plaintext by", "is it a TLS server?"},
      {"answered another status by", "does it have every --object size (server --body)?"},
      {"sent short bodies from", "does it serve --object sizes by path (/1k)?"},
      {"sent long bodies from", "does it serve --object sizes by path (/1k)?"},
      {"failed otherwise on", "see errors.other in the summary"},
  };
  return fmt::format("nothing completed: {} {} {} — {}", format_count(total.errors[top]),
                     kWhat[top][0], target, kWhat[top][1]);
}

bool has_objects(const ClientSnapshot& s) { return s.objects[0].size > 0; }
std::string goodput_cell(const ClientSnapshot& d, double seconds) {
  if (!has_objects(d)) return {};
  return fmt::format(" {:>12}",
                     format_bytes(static_cast<std::uint64_t>(per_second(d.body_bytes, seconds))) +
                         "/s");
}

std::string crr_header(bool goodput) {
  return fmt::format("{:>7} {:>12} {:>9} {:>9} {:>11} {:>9} {:>12} {:>9}{}", "time",
                     "completed/s", "errors/s", "in-flight", "connect p50", "p99",
                     "response p50", "p99", goodput ? fmt::format(" {:>12}", "goodput") : "");
}

std::string crr_line(double t, const ClientSnapshot& d, double seconds) {
  return fmt::format("{:>6.1f}s {:>12} {:>9} {:>9} {:>11} {:>9} {:>12} {:>9}{}", t,
                     format_count(static_cast<std::uint64_t>(per_second(d.completed, seconds))),
                     format_count(static_cast<std::uint64_t>(per_second(d.error_total(), seconds))),
                     format_count(d.in_flight), percentile_cell(d.connect_us, 50),
                     percentile_cell(d.connect_us, 99), percentile_cell(d.response_us, 50),
                     percentile_cell(d.response_us, 99), goodput_cell(d, seconds));
}

nlohmann::json crr_interval_json(double t, const ClientSnapshot& d, double seconds) {
  return {{"t", t},
          {"seconds", seconds},
          {"started", d.started},
          {"completed", d.completed},
          {"errors", d.error_total()},
          {"in_flight", d.in_flight},
          // Little's law: the mean number in flight over the interval, not a sample at its end.
          {"concurrency", per_second(d.completed, seconds) * d.total_us.mean() / 1e6},
          {"cps", per_second(d.completed, seconds)},
          {"body_bytes", d.body_bytes},
          {"goodput_bytes_per_s", per_second(d.body_bytes, seconds)},
          {"connect_us", {{"p50", d.connect_us.percentile(50)}, {"p99", d.connect_us.percentile(99)}}},
          {"response_us",
           {{"p50", d.response_us.percentile(50)}, {"p99", d.response_us.percentile(99)}}},
          {"total_us", {{"p50", d.total_us.percentile(50)}, {"p99", d.total_us.percentile(99)}}}};
}

nlohmann::json errors_json(const ClientSnapshot& s) {
  nlohmann::json j = nlohmann::json::object();
  for (std::size_t i = 0; i < kErrorKinds; ++i)
    j[to_string(static_cast<ErrorKind>(i))] = s.errors[i];
  return j;
}

nlohmann::json errors_other_json(const ClientSnapshot& s) {
  nlohmann::json j = nlohmann::json::object();
  for (int e = 0; e < kMaxErrno; ++e)
    if (s.other_errno[static_cast<std::size_t>(e)])
      j[net::errno_name(e)] = s.other_errno[static_cast<std::size_t>(e)];
  return j;
}

nlohmann::json objects_json(const ClientSnapshot& s, double seconds) {
  nlohmann::json j = nlohmann::json::array();
  for (const ObjectCounts& o : s.objects) {
    if (o.size == 0) continue;
    j.push_back({{"size", o.size},
                 {"completed", o.completed},
                 {"body_bytes", o.body_bytes},
                 {"goodput_bytes_per_s", per_second(o.body_bytes, seconds)}});
  }
  return j;
}

nlohmann::json crr_summary_json(const ClientSnapshot& total, std::uint64_t aborted,
                                double seconds) {
  return {{"seconds", seconds},
          {"started", total.started},
          {"completed", total.completed},
          {"aborted", aborted},
          {"error_total", total.error_total()},
          {"cps", per_second(total.completed, seconds)},
          {"body_bytes", total.body_bytes},
          {"goodput_bytes_per_s", per_second(total.body_bytes, seconds)},
          {"objects", objects_json(total, seconds)},
          {"errors", errors_json(total)},
          {"errors_other", errors_other_json(total)},
          {"latency_us",
           {{"connect", latency_json(total.connect_us)},
            {"response", latency_json(total.response_us)},
            {"total", latency_json(total.total_us)},
            {"ttfb", latency_json(total.ttfb_us)},
            {"ttlb", latency_json(total.ttlb_us)}}},
          {"histograms",
           {{"connect", histogram_json(total.connect_us)},
            {"response", histogram_json(total.response_us)},
            {"total", histogram_json(total.total_us)},
            {"ttfb", histogram_json(total.ttfb_us)},
            {"ttlb", histogram_json(total.ttlb_us)}}}};
}

namespace {

// The client summary: counts, errors by cause, latency. `done` names what completed (a
// connection for crr, a request for rr); rr has no separate total latency in a closed loop.
// Open loop: the latency that counts is from the scheduled send (total_us), so it leads and is
// labelled; the time from the actual send stays as "service".
struct Span {
  double seconds;  // the load's
  double drain;    // after it, for what was in flight
};
}  // namespace

std::string objects_text(const ClientSnapshot& t, double seconds) {
  if (!has_objects(t)) return {};
  std::string out = fmt::format("{:<12}{:>14}   {}/s ({} body bytes)\n", "goodput",
                                format_bytes(t.body_bytes),
                                format_bytes(static_cast<std::uint64_t>(per_second(t.body_bytes, seconds))),
                                format_count(t.body_bytes));
  for (const ObjectCounts& o : t.objects) {
    if (o.size == 0) continue;
    out += fmt::format("  object {:<9}{:>10} completed, {:>16} body bytes, {}/s\n",
                       format_bytes(o.size), format_count(o.completed), format_count(o.body_bytes),
                       format_bytes(static_cast<std::uint64_t>(per_second(o.body_bytes, seconds))));
  }
  return out;
}

namespace {

std::string client_summary_text(const ClientSnapshot& t, std::uint64_t aborted, Span span,
                                std::string_view done, bool with_total, bool open_loop) {
  std::string out = fmt::format("\n{:<12}{:>14}\n", "started", format_count(t.started));
  out += fmt::format("{:<12}{:>14}   {}/s over {:.2f} s{}\n", done, format_count(t.completed),
                     format_rate(per_second(t.completed, span.seconds)), span.seconds,
                     span.drain >= 0.005
                         ? fmt::format(", then {:.2f} s for what was in flight", span.drain)
                         : std::string());
  out += fmt::format("{:<12}{:>14}\n", "errors", format_count(t.error_total()));
  out += fmt::format("{:<12}{:>14}\n", "aborted", format_count(aborted));
  out += objects_text(t, span.seconds);
  if (t.error_total() > 0) {
    out += "\nerrors by cause\n";
    for (std::size_t i = 0; i < kErrorKinds; ++i) {
      if (t.errors[i] == 0 || static_cast<ErrorKind>(i) == ErrorKind::Other) continue;
      out += fmt::format("  {:<18}{:>12}\n", to_string(static_cast<ErrorKind>(i)),
                         format_count(t.errors[i]));
    }
    for (int e = 0; e < kMaxErrno; ++e) {
      const std::uint64_t n = t.other_errno[static_cast<std::size_t>(e)];
      if (n) out += fmt::format("  other {:<12}{:>12}\n", net::errno_name(e), format_count(n));
    }
    for (int a = 0; a < kTlsAlerts; ++a) {  // of tls_failed: the alerts the peer sent
      const std::uint64_t n = t.tls_alerts[static_cast<std::size_t>(a)];
      if (n == 0) continue;
      const std::string label = fmt::format("alert {}", tls::alert_name(a));
      out += fmt::format("  {}{:>{}}\n", label, format_count(n), 30 - std::min<std::size_t>(label.size(), 29));
    }
  }
  out += fmt::format("\n  {:<10}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}\n", "latency", "p50", "p90",
                     "p99", "p99.9", "max", "mean");
  out += latency_row("connect", t.connect_us);
  if (t.tls_us.count() > 0) out += latency_row("tls", t.tls_us);
  if (t.ttfb_us.count() > 0) out += latency_row("ttfb", t.ttfb_us);
  if (open_loop) {
    out += latency_row("scheduled", t.total_us);
    out += latency_row("service", t.response_us);
    out += "  scheduled: from the scheduled send (--rate: queueing counts; JSON latency_us.total)\n"
           "  service: from the actual send to the last byte (JSON latency_us.response)\n";
    return out;
  }
  out += latency_row("response", t.response_us);
  if (with_total) out += latency_row("total", t.total_us);
  return out;
}

}  // namespace

std::string crr_summary_text(const ClientSnapshot& t, std::uint64_t aborted, double seconds,
                             bool open_loop, double drain) {
  return client_summary_text(t, aborted, {seconds, drain}, "completed", true, open_loop);
}

std::string rr_summary_text(const ClientSnapshot& t, std::uint64_t aborted, double seconds,
                            bool open_loop, double drain) {
  return client_summary_text(t, aborted, {seconds, drain}, "requests", false, open_loop);
}

nlohmann::json tls_json(const ClientSnapshot& t, const TlsNames& names) {
  nlohmann::json alerts = nlohmann::json::object();
  for (int a = 0; a < kTlsAlerts; ++a)
    if (const std::uint64_t n = t.tls_alerts[static_cast<std::size_t>(a)]) alerts[tls::alert_name(a)] = n;
  return {{"full", t.tls_full},       {"resumed", t.tls_resumed}, {"version", names.version},
          {"cipher", names.cipher},   {"group", names.group},     {"alerts", alerts}};
}

void add_tls_summary(nlohmann::json& summary, const ClientSnapshot& t, const TlsNames& names) {
  summary["tls"] = tls_json(t, names);
  summary["latency_us"]["tls"] = latency_json(t.tls_us);
  summary["histograms"]["tls"] = histogram_json(t.tls_us);
}

std::string tls_summary_text(const ClientSnapshot& t, const TlsNames& names) {
  std::string out = fmt::format("\ntls handshakes  full {}, resumed {}", format_count(t.tls_full),
                                format_count(t.tls_resumed));
  if (!names.version.empty())
    out += fmt::format(" ({}, {}, {})", names.version, names.cipher,
                       names.group.empty() ? "no group" : names.group);
  return out + "\n";
}

std::string cc_summary_text(const ClientSnapshot& a, std::uint64_t lost, std::uint64_t survived,
                            std::uint64_t target, std::optional<double> reached_s) {
  std::string out = fmt::format("\n{:<14}{:>12}\n{:<14}{:>12}\n{:<14}{:>12}\n", "attempted",
                                format_count(a.started), "established",
                                format_count(a.completed), "failed",
                                format_count(a.error_total()));
  for (std::size_t k = 0; k < kErrorKinds; ++k)
    if (a.errors[k])
      out += fmt::format("  {:<12}{:>12}\n", to_string(static_cast<ErrorKind>(k)),
                         format_count(a.errors[k]));
  out += fmt::format("{:<14}{:>12}\n{:<14}{:>12}   (open at the end of the hold)\n", "lost",
                     format_count(lost), "survived", format_count(survived));
  if (reached_s)
    return out + fmt::format("all {} open after {:.2f} s\n", format_count(target), *reached_s);
  return out + fmt::format("never had all {} open at once\n", format_count(target));
}

std::string percentile_cell(const Histogram& h, double p) {
  return h.count() ? format_us(h.percentile(p)) : "-";
}

std::string rr_header(bool goodput) {
  return fmt::format("{:>7} {:>12} {:>9} {:>11} {:>9} {:>9}{}", "time", "requests/s", "errors/s",
                     "connections", "p50", "p99",
                     goodput ? fmt::format(" {:>12}", "goodput") : "");
}

std::string rr_line(double t, const ClientSnapshot& d, std::uint64_t open, double seconds) {
  return fmt::format("{:>6.1f}s {:>12} {:>9} {:>11} {:>9} {:>9}{}", t,
                     format_count(static_cast<std::uint64_t>(per_second(d.completed, seconds))),
                     format_count(static_cast<std::uint64_t>(per_second(d.error_total(), seconds))),
                     format_count(open), percentile_cell(d.total_us, 50),
                     percentile_cell(d.total_us, 99), goodput_cell(d, seconds));
}

nlohmann::json rr_summary_json(const ClientSnapshot& total, std::uint64_t aborted,
                               double seconds) {
  nlohmann::json j = crr_summary_json(total, aborted, seconds);
  j["requests"] = total.completed;
  j["qps"] = per_second(total.completed, seconds);
  j.erase("cps");
  // rr's time to last byte, from the request's send, is its response latency.
  j["latency_us"]["ttlb"] = j["latency_us"]["response"];
  j["histograms"]["ttlb"] = j["histograms"]["response"];
  return j;
}

std::string server_header() {
  return fmt::format("{:>7} {:>11} {:>11} {:>9} {:>9} {:>9} {:>9} {:>9}", "time", "accepted/s",
                     "requests/s", "rst/s", "fin/s", "closed/s", "errors/s", "active");
}

std::string server_line(double t, const ListenerSnapshot& d, std::uint64_t active,
                        double seconds) {
  auto rate = [seconds](std::uint64_t n) {
    return format_count(static_cast<std::uint64_t>(per_second(n, seconds)));
  };
  return fmt::format("{:>6.1f}s {:>11} {:>11} {:>9} {:>9} {:>9} {:>9} {:>9}", t,
                     rate(d.accepted), rate(d.requests), rate(d.rst), rate(d.fin),
                     rate(d.closed_by_server), rate(d.errors), format_count(active));
}

nlohmann::json server_counts_json(const ListenerSnapshot& s, std::uint64_t active) {
  return {{"accepted", s.accepted}, {"requests", s.requests},
          {"rst", s.rst},           {"fin", s.fin},
          {"closed_by_server", s.closed_by_server},
          {"errors", s.errors},     {"active", active}};
}

nlohmann::json server_counts_json(const ListenerSnapshot& total) {
  return server_counts_json(total, total.active());
}

nlohmann::json server_interval_json(const ListenerSnapshot& now, const ListenerSnapshot& before) {
  ListenerSnapshot d = now;
  d -= before;
  return server_counts_json(d, now.active());
}

nlohmann::json server_summary_json(const std::vector<std::string>& addresses,
                                   const std::vector<ListenerSnapshot>& listeners,
                                   const std::map<std::string, std::uint64_t>& peers,
                                   double seconds) {
  nlohmann::json j = server_counts_json(sum(listeners));
  j["seconds"] = seconds;
  j["accepted_per_second"] = per_second(sum(listeners).accepted, seconds);
  j["not_found"] = sum(listeners).not_found;
  j["listeners"] = nlohmann::json::array();
  for (std::size_t i = 0; i < listeners.size(); ++i) {
    nlohmann::json l = server_counts_json(listeners[i]);
    l["address"] = addresses[i];
    j["listeners"].push_back(std::move(l));
  }
  j["peers"] = peers;
  return j;
}

namespace {

const char* alert_slot_name(std::size_t slot) {
  return slot < kTlsAlertCodes.size() ? tls::alert_name(kTlsAlertCodes[slot]) : "other";
}

nlohmann::json alert_counts_json(const std::array<std::uint64_t, kAlertSlots>& counts) {
  nlohmann::json out = nlohmann::json::object();
  for (std::size_t i = 0; i < kAlertSlots; ++i)
    if (counts[i]) out[alert_slot_name(i)] = counts[i];
  return out;
}

// "protocol version 3, bad certificate 1"
std::string alert_counts_text(const std::array<std::uint64_t, kAlertSlots>& counts) {
  std::string out;
  for (std::size_t i = 0; i < kAlertSlots; ++i)
    if (counts[i])
      out += fmt::format("{}{} {}", out.empty() ? "" : ", ", alert_slot_name(i),
                         format_count(counts[i]));
  return out;
}

}  // namespace

nlohmann::json server_tls_json(const ListenerSnapshot& s, bool alerts) {
  nlohmann::json j = {{"full", s.tls_full}, {"resumed", s.tls_resumed}, {"failed", s.tls_failed}};
  if (alerts) {
    j["alerts_sent"] = alert_counts_json(s.alerts_sent);
    j["alerts_received"] = alert_counts_json(s.alerts_received);
  }
  return j;
}

std::string server_tls_text(const ListenerSnapshot& t) {
  std::string out =
      fmt::format("tls handshakes: full {}, resumed {}, failed {}\n", format_count(t.tls_full),
                  format_count(t.tls_resumed), format_count(t.tls_failed));
  const std::string sent = alert_counts_text(t.alerts_sent);
  const std::string received = alert_counts_text(t.alerts_received);
  if (!sent.empty()) out += "  failed on an alert sent: " + sent + "\n";
  if (!received.empty()) out += "  failed on an alert received: " + received + "\n";
  return out;
}

std::string server_summary_text(const std::vector<std::string>& addresses,
                                const std::vector<ListenerSnapshot>& listeners,
                                const std::map<std::string, std::uint64_t>& peers,
                                double seconds) {
  const ListenerSnapshot total = sum(listeners);
  std::string out = fmt::format("\n{:<24}{:>12}{:>12}{:>10}{:>10}{:>10}{:>8}{:>8}\n", "listener",
                                "accepted", "requests", "rst", "fin", "by server", "errors",
                                "active");
  auto row = [&out](const std::string& name, const ListenerSnapshot& s) {
    out += fmt::format("{:<24}{:>12}{:>12}{:>10}{:>10}{:>10}{:>8}{:>8}\n", name,
                       format_count(s.accepted), format_count(s.requests), format_count(s.rst),
                       format_count(s.fin), format_count(s.closed_by_server),
                       format_count(s.errors), format_count(s.active()));
  };
  for (std::size_t i = 0; i < listeners.size(); ++i) row(addresses[i], listeners[i]);
  if (listeners.size() > 1) row("total", total);
  out += fmt::format("\n{} connections accepted in {:.2f} s ({}/s) from {} source address{}\n",
                     format_count(total.accepted), seconds,
                     format_rate(per_second(total.accepted, seconds)), peers.size(),
                     peers.size() == 1 ? "" : "es");
  if (total.not_found > 0)
    out += fmt::format("{} requests named a size not given to --body (404)\n",
                       format_count(total.not_found));
  return out;
}

}  // namespace connperf::stats

// proxy

namespace connperf::stats {

std::string proxy_header() {
  return fmt::format("{:>7} {:>11} {:>11} {:>9} {:>11} {:>11} {:>9} {:>9}", "time", "accepted/s",
                     "requests/s", "tunnels/s", "up/s", "down/s", "errors/s", "active");
}

std::string proxy_line(double t, const ProxySnapshot& d, std::uint64_t active, double seconds) {
  auto rate = [seconds](std::uint64_t n) {
    return format_count(static_cast<std::uint64_t>(per_second(n, seconds)));
  };
  auto bytes = [seconds](std::uint64_t n) {
    return format_bytes(static_cast<std::uint64_t>(per_second(n, seconds)));
  };
  const std::uint64_t errors =
      d.error_replies() + d[ProxyCount::ClientResets] + d[ProxyCount::UpstreamResets];
  return fmt::format("{:>6.1f}s {:>11} {:>11} {:>9} {:>11} {:>11} {:>9} {:>9}", t,
                     rate(d[ProxyCount::Accepted]), rate(d[ProxyCount::Requests]),
                     rate(d[ProxyCount::Tunnels]), bytes(d[ProxyCount::BytesUp]),
                     bytes(d[ProxyCount::BytesDown]), rate(errors), format_count(active));
}

nlohmann::json proxy_counts_json(const ProxySnapshot& s) {
  nlohmann::json j;
  nlohmann::json statuses = nlohmann::json::object();
  for (std::size_t i = 0; i < kProxyCounts; ++i) {
    if (i == static_cast<std::size_t>(ProxyCount::Closed)) continue;
    if (i >= kFirstStatus) statuses[std::string(proxy_count_name(i))] = s.v[i];
    else j[std::string(proxy_count_name(i))] = s.v[i];
  }
  j["statuses"] = std::move(statuses);
  j["active"] = s.active();
  return j;
}

nlohmann::json proxy_summary_json(const ProxySnapshot& total, double seconds) {
  nlohmann::json j = proxy_counts_json(total);
  j["closed"] = total[ProxyCount::Closed];
  j["elapsed_s"] = seconds;
  j["rps"] = per_second(total[ProxyCount::Requests], seconds);
  j["error_replies"] = total.error_replies();
  return j;
}

std::string proxy_summary_text(const ProxySnapshot& t, double seconds) {
  std::string out = fmt::format(
      "\nproxy summary over {:.2f} s\n"
      "  connections  accepted {} (denied {}), closed {}, open {}\n"
      "  requests     forwarded {} ({}/s), responses relayed {}, on a kept upstream "
      "connection {}\n"
      "  tunnels      {}\n"
      "  upstream     connections opened {}\n"
      "  bytes        {} up, {} down\n"
      "  broken       {} by clients, {} by upstreams\n",
      seconds, format_count(t[ProxyCount::Accepted]), format_count(t[ProxyCount::Denied]),
      format_count(t[ProxyCount::Closed]), format_count(t.active()),
      format_count(t[ProxyCount::Requests]),
      format_rate(per_second(t[ProxyCount::Requests], seconds)),
      format_count(t[ProxyCount::Responses]), format_count(t[ProxyCount::UpstreamReused]),
      format_count(t[ProxyCount::Tunnels]), format_count(t[ProxyCount::UpstreamConnects]),
      format_bytes(t[ProxyCount::BytesUp]), format_bytes(t[ProxyCount::BytesDown]),
      format_count(t[ProxyCount::ClientResets]), format_count(t[ProxyCount::UpstreamResets]));
  out += "  replies made by the proxy:";
  if (t.error_replies() == 0) out += " none";
  for (std::size_t i = kFirstStatus; i < kProxyCounts; ++i)
    if (t.v[i]) out += fmt::format(" {} x{}", proxy_count_name(i), format_count(t.v[i]));
  out += "\n";
  return out;
}

}  // namespace connperf::stats
