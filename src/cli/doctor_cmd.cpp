// connperf doctor: the host's limits on a connection-rate run, with the numbers and what to
// change, and whether a planned run (--rate, --close, --bind, targets) fits its tuple budget.
#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.h"
#include "diag/host_limits.h"
#include "stats/printers.h"

namespace connperf::cli {

void add_doctor(CLI::App& app, DoctorOptions& o) {
  CLI::App& c = *app.add_subcommand(
      "doctor", "preflight: the host's limits (ports, backlog, conntrack, open files) and "
                "whether a planned run fits; exit 1 with the reason when it cannot");
  c.add_option("targets", o.targets, "HOST:PORT the run will connect to (repeatable)");
  c.add_option("--rate", o.rate, "planned new connections per second")
      ->check(CLI::PositiveNumber)
      ->default_str("none");
  add_close_flag(c, o.close, "planned close: rst or fin");
  add_bind_flag(c, o.binds, "planned source");
  add_netns_flag(c, o.netns);
  add_json_flag(c, o.json, "the findings");
}

namespace {

std::string opt(const std::optional<long>& v) { return v ? std::to_string(*v) : "n/a"; }
std::string n(std::uint64_t v) { return stats::format_count(v); }

struct Findings {
  std::string text;
  std::vector<std::string> problems;  // why the planned run cannot work (exit 1)
  std::vector<std::string> advice;    // worth changing, not fatal
};

void limits_text(const diag::HostLimits& h, Findings& f) {
  const long ports = h.port_hi - h.port_lo + 1;
  auto row = [&f](const char* name, const std::string& value) {
    f.text += fmt::format("  {:<40} {}\n", name, value);
  };
  row("net.ipv4.ip_local_port_range", fmt::format("{} {} ({} ports)", h.port_lo, h.port_hi,
                                                  n(static_cast<std::uint64_t>(ports))));
  const char* reuse = !h.tw_reuse ? "" : *h.tw_reuse == 1 ? " (connect reuses TIME_WAIT ports)"
                                   : *h.tw_reuse == 2 ? " (reuse for loopback only)"
                                                      : " (no reuse)";
  row("net.ipv4.tcp_tw_reuse", opt(h.tw_reuse) + reuse);
  row("net.ipv4.tcp_fin_timeout", opt(h.fin_timeout) + " s (FIN_WAIT2; TIME_WAIT is 60 s)");
  row("net.core.somaxconn", opt(h.somaxconn) + " (caps every listen backlog)");
  row("net.ipv4.tcp_max_syn_backlog", opt(h.syn_backlog));
  if (h.conntrack_max)
    row("net.netfilter.nf_conntrack_max / count",
        fmt::format("{} / {}", opt(h.conntrack_max), opt(h.conntrack_count)));
  else
    row("net.netfilter.nf_conntrack_max", "not loaded (no connection tracking)");
  row("RLIMIT_NOFILE soft / hard", fmt::format("{} / {}", n(h.files_soft), n(h.files_hard)));
  row("CPUs", std::to_string(h.cpus));
  if (ports < 10'000)
    f.advice.push_back(fmt::format("only {} local ports: widen net.ipv4.ip_local_port_range "
                                   "(e.g. sysctl -w net.ipv4.ip_local_port_range='1024 65535')",
                                   ports));
  if (h.somaxconn && *h.somaxconn < 4096)
    f.advice.push_back(fmt::format("net.core.somaxconn is {}: a server's accept queue holds at "
                                   "most that; raise it to 4096 or more",
                                   *h.somaxconn));
  if (h.files_hard < 65536)
    f.advice.push_back(fmt::format("RLIMIT_NOFILE hard limit {}: at most about that many "
                                   "connections per process (ulimit -Hn, or limits.conf)",
                                   n(h.files_hard)));
}

void budget_text(const DoctorOptions& o, const diag::HostLimits& h, const load::Targets& t,
                 Findings& f, nlohmann::json& j) {
  const bool fin = o.close == "fin";
  const bool loopback = !t.targets.empty() &&
      std::all_of(t.targets.begin(), t.targets.end(),
                  [](const load::Target& x) { return x.addr.is_loopback(); });
  const long reuse = h.tw_reuse.value_or(2);
  diag::TuplePlan plan;
  plan.rate = o.rate;
  plan.fin = fin;
  plan.tw_reuse = reuse == 1 || (reuse == 2 && loopback);
  plan.ports = static_cast<std::uint64_t>(h.port_hi - h.port_lo + 1);
  plan.sources = std::max<std::uint64_t>(1, t.binds.size());
  plan.targets = std::max<std::uint64_t>(1, t.targets.size());
  const diag::TupleBudget b = diag::tuple_budget(plan);
  j["tuples"] = {{"rate", o.rate},          {"close", o.close},       {"hold_s", b.hold_s},
                 {"needed", b.needed},      {"available", b.available},
                 {"ports", plan.ports},     {"sources", plan.sources}, {"targets", plan.targets},
                 {"max_rate", b.max_rate},  {"fits", b.fits()}};
  f.text += fmt::format(
      "\ntuple budget: {}/s with --close {} holds each (source, port, target) tuple {:.0f} s{}\n"
      "  needs {} tuples; {} ports x {} source{} x {} target{} = {} available; carries {}/s\n",
      n(static_cast<std::uint64_t>(o.rate)), o.close, b.hold_s,
      fin ? (plan.tw_reuse ? " (TIME_WAIT ports reused after 1 s: tcp_tw_reuse)"
                           : " in TIME_WAIT")
          : " (RST leaves no TIME_WAIT)",
      n(b.needed), n(plan.ports), plan.sources, plan.sources == 1 ? "" : "s", plan.targets,
      plan.targets == 1 ? "" : "s", n(b.available),
      n(static_cast<std::uint64_t>(b.max_rate)));
  if (!b.fits()) {
    const std::uint64_t sources_needed =
        (b.needed + plan.ports * plan.targets - 1) / (plan.ports * plan.targets);
    f.problems.push_back(fmt::format(
        "{} new connections/s need {} tuples but only {} are available: lower --rate to {}, "
        "{}use {} --bind source addresses, or widen net.ipv4.ip_local_port_range",
        n(static_cast<std::uint64_t>(o.rate)), n(b.needed), n(b.available),
        n(static_cast<std::uint64_t>(b.max_rate)), fin ? "use --close rst, " : "",
        sources_needed));
  }
  if (h.conntrack_max) {
    const long hold_s = fin ? h.conntrack_time_wait_s.value_or(120)
                            : h.conntrack_close_s.value_or(10);
    const std::uint64_t ct = diag::conntrack_needed(o.rate, fin, hold_s, hold_s);
    const long room = *h.conntrack_max - h.conntrack_count.value_or(0);
    j["conntrack"] = {{"needed", ct}, {"max", *h.conntrack_max},
                      {"count", h.conntrack_count.value_or(0)}};
    f.text += fmt::format("  conntrack: needs {} entries ({} s each after the close); room for "
                          "{}\n",
                          n(ct), hold_s, room < 0 ? "none" : n(static_cast<std::uint64_t>(room)));
    if (room < 0 || ct > static_cast<std::uint64_t>(room)) {
      // Tracking costs entries only where something uses it: count > 0 in this namespace.
      std::string why = fmt::format(
          "the run leaves {} conntrack entries but nf_conntrack_max leaves room for {}: raise "
          "net.netfilter.nf_conntrack_max or lower --rate",
          n(ct), room);
      if (h.conntrack_count.value_or(0) > 0) f.problems.push_back(std::move(why));
      else f.advice.push_back(std::move(why) + " (if connection tracking is in use here)");
    }
  }
}

nlohmann::json limits_json(const diag::HostLimits& h) {
  auto v = [](const std::optional<long>& x) {
    return x ? nlohmann::json(*x) : nlohmann::json(nullptr);
  };
  return {{"ip_local_port_range", {h.port_lo, h.port_hi}},
          {"tcp_tw_reuse", v(h.tw_reuse)},
          {"tcp_fin_timeout", v(h.fin_timeout)},
          {"somaxconn", v(h.somaxconn)},
          {"tcp_max_syn_backlog", v(h.syn_backlog)},
          {"nf_conntrack_max", v(h.conntrack_max)},
          {"nf_conntrack_count", v(h.conntrack_count)},
          {"nofile_soft", h.files_soft},
          {"nofile_hard", h.files_hard},
          {"cpus", h.cpus}};
}

}  // namespace

int run_doctor(const DoctorOptions& o) {
  enter_netns(o.netns);  // the limits are the namespace's
  load::Targets t;
  t.targets = parse_targets(o.targets);
  t.binds = parse_binds(o.binds);
  const diag::HostLimits h = diag::read_host_limits();
  Findings f;
  f.text = "connperf doctor — limits of this host (network namespace)\n";
  limits_text(h, f);
  nlohmann::json j = limits_json(h);
  if (o.rate > 0) budget_text(o, h, t, f, j);
  for (const auto& a : f.advice) f.text += "advice: " + a + "\n";
  for (const auto& p : f.problems) f.text += "cannot: " + p + "\n";
  if (o.rate > 0 && f.problems.empty()) f.text += "ok: the planned run fits this host's limits\n";
  std::fputs(f.text.c_str(), o.json == "-" ? stderr : stdout);
  j["advice"] = f.advice;
  j["problems"] = f.problems;
  j["fits"] = f.problems.empty();
  if (!o.json.empty()) {
    nlohmann::json doc = document("doctor", {{"rate", o.rate},
                                             {"close", o.close},
                                             {"targets", o.targets},
                                             {"bind", o.binds}});
    doc.erase("intervals");
    doc["summary"] = std::move(j);
    write_json(o.json, doc);
  }
  return f.problems.empty() ? kOk : kCannotRun;
}

}  // namespace connperf::cli
