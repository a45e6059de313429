#include "stats/metrics.h"

#include <cstdint>
#include <iterator>
#include <span>

#include <fmt/format.h>

namespace connperf::stats {

namespace {

void family(std::string& out, std::string_view name, std::string_view type,
            std::string_view help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void uptime(std::string& out, double seconds) {
  family(out, "connperf_uptime_seconds", "gauge", "Seconds since the run started.");
  out += fmt::format("connperf_uptime_seconds {:.3f}\n", seconds);
}

struct ServerCount {
  std::string_view name;
  std::string_view help;
  std::uint64_t ListenerSnapshot::*field;
};

constexpr ServerCount kServerCounts[] = {
    {"connperf_accepted_total", "Connections accepted.", &ListenerSnapshot::accepted},
    {"connperf_requests_total", "Requests (or chunks) answered.", &ListenerSnapshot::requests},
    {"connperf_rst_total", "Connections ended by a reset from the peer.", &ListenerSnapshot::rst},
    {"connperf_fin_total", "Connections ended by an orderly close from the peer.",
     &ListenerSnapshot::fin},
    {"connperf_closed_by_server_total", "Connections the server closed.",
     &ListenerSnapshot::closed_by_server},
    {"connperf_errors_total", "Connections ended by an error.", &ListenerSnapshot::errors},
    {"connperf_not_found_total", "Requests for an object size not given to --body (answered 404).",
     &ListenerSnapshot::not_found},
};

constexpr ServerCount kTlsCounts[] = {
    {"connperf_tls_full_total", "Full TLS handshakes done.", &ListenerSnapshot::tls_full},
    {"connperf_tls_resumed_total", "Resumed TLS handshakes done.", &ListenerSnapshot::tls_resumed},
    {"connperf_tls_failed_total",
     "TLS handshakes that failed (the connection also ends in rst, fin or errors).",
     &ListenerSnapshot::tls_failed},
};

void listener_counts(std::string& out, std::span<const ServerCount> counts,
                     const std::vector<std::string>& labels,
                     const std::vector<ListenerSnapshot>& listeners) {
  for (const ServerCount& c : counts) {
    family(out, c.name, "counter", c.help);
    for (std::size_t i = 0; i < labels.size(); ++i)
      out += fmt::format("{}{} {}\n", c.name, labels[i], listeners[i].*c.field);
  }
}

// Help of each proxy count before the statuses, in ProxyCount order.
constexpr std::string_view kProxyHelp[] = {
    "Client connections accepted (denied ones included).",
    "Client connections closed at once with 403 (outside --allow).",
    "Client connections ended, for any reason.",
    "HTTP requests forwarded to an upstream.",
    "Upstream responses relayed to the client in full.",
    "CONNECT tunnels established.",
    "Bytes written toward upstreams (heads included).",
    "Bytes written toward clients.",
    "Upstream connections established.",
    "Requests sent on an upstream connection kept from before.",
    "Exchanges a client reset or broke.",
    "Upstreams that reset or closed before their response ended.",
};
static_assert(std::size(kProxyHelp) == kFirstStatus);

}  // namespace

std::string prometheus_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string server_metrics(const std::vector<std::string>& addresses,
                           const std::vector<ListenerSnapshot>& listeners, double seconds,
                           bool tls) {
  std::string out;
  std::vector<std::string> labels;
  for (std::size_t i = 0; i < listeners.size() && i < addresses.size(); ++i)
    labels.push_back(fmt::format("{{listener=\"{}\"}}", prometheus_label_value(addresses[i])));
  listener_counts(out, kServerCounts, labels, listeners);
  if (tls) listener_counts(out, kTlsCounts, labels, listeners);
  family(out, "connperf_active", "gauge", "Connections open now.");
  for (std::size_t i = 0; i < labels.size(); ++i)
    out += fmt::format("connperf_active{} {}\n", labels[i], listeners[i].active());
  uptime(out, seconds);
  return out;
}

std::string proxy_metrics(const ProxySnapshot& total, double seconds) {
  std::string out;
  for (std::size_t i = 0; i < kFirstStatus; ++i) {
    const std::string name = fmt::format("connperf_proxy_{}_total", proxy_count_name(i));
    family(out, name, "counter", kProxyHelp[i]);
    out += fmt::format("{} {}\n", name, total.v[i]);
  }
  family(out, "connperf_proxy_replies_total", "counter",
         "Replies the proxy made itself, by status.");
  for (std::size_t i = 0; i < std::size(kProxyStatuses); ++i)
    out += fmt::format("connperf_proxy_replies_total{{status=\"{}\"}} {}\n", kProxyStatuses[i],
                       total.v[kFirstStatus + i]);
  family(out, "connperf_proxy_active", "gauge", "Client connections open now.");
  out += fmt::format("connperf_proxy_active {}\n", total.active());
  uptime(out, seconds);
  return out;
}

std::string cpu_metrics(double user_s, double sys_s) {
  std::string out;
  family(out, "connperf_cpu_seconds_total", "counter",
         "CPU time of this process and its reaped children, by mode.");
  out += fmt::format("connperf_cpu_seconds_total{{mode=\"user\"}} {:.6f}\n", user_s);
  out += fmt::format("connperf_cpu_seconds_total{{mode=\"system\"}} {:.6f}\n", sys_s);
  family(out, "process_cpu_seconds_total", "counter", "Total user and system CPU time in seconds.");
  out += fmt::format("process_cpu_seconds_total {:.6f}\n", user_s + sys_s);
  return out;
}

}  // namespace connperf::stats
