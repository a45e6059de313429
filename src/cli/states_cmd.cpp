#include <cstdio>
#include <system_error>

#include <fmt/format.h>

#include "cli/commands.h"
#include "run/driver.h"
#include "diag/sock_diag.h"
#include "loop/event_loop.h"
#include "stats/printers.h"

namespace connperf::cli {

namespace {

using diag::TcpState;

// The states shown, in the order a connection lives through them.
constexpr TcpState kShown[] = {
    TcpState::Listen,   TcpState::SynSent,   TcpState::SynRecv,  TcpState::Established,
    TcpState::FinWait1, TcpState::FinWait2,  TcpState::TimeWait, TcpState::CloseWait,
    TcpState::LastAck,  TcpState::Closing,   TcpState::Close,
};

nlohmann::json states_json(const diag::StateCounts& c) {
  nlohmann::json j = nlohmann::json::object();
  for (TcpState s : kShown) j[diag::to_string(s)] = c[s];
  return j;
}

std::string states_header() {
  std::string h = fmt::format("{:>7}", "time");
  for (TcpState s : kShown) h += fmt::format(" {:>11}", diag::to_string(s));
  return h;
}

std::string states_line(double t, const diag::StateCounts& c) {
  std::string line = fmt::format("{:>6.1f}s", t);
  for (TcpState s : kShown) line += fmt::format(" {:>11}", stats::format_count(c[s]));
  return line;
}

std::string states_block(const diag::StateCounts& c, const std::string& scope) {
  std::string out = fmt::format("TCP sockets {}\n", scope);
  for (TcpState s : kShown) out += fmt::format("  {:<12}{:>10}\n", diag::to_string(s), stats::format_count(c[s]));
  out += fmt::format("  {:<12}{:>10}\n", "total", stats::format_count(c.total()));
  return out;
}

diag::StateCounts count_or_throw(const diag::StateFilter& f) {
  try {
    return diag::count_tcp_states(f);
  } catch (const std::system_error& e) {
    throw RunError(std::string("sock_diag: ") + e.what());
  }
}

}  // namespace

void add_states(CLI::App& app, StatesOptions& o) {
  CLI::App* c = app.add_subcommand(
      "states", "count TCP sockets per state (LISTEN, ESTABLISHED, TIME_WAIT, ...) via sock_diag");
  c->add_option("--port", o.port, "only sockets whose local or remote port is P")
      ->check(CLI::Range(0, 65535))
      ->default_str("any");
  c->add_option("--local-port", o.local_port, "only sockets with this local port")
      ->check(CLI::Range(0, 65535))
      ->default_str("any");
  c->add_option("--remote-port", o.remote_port, "only sockets with this remote port")
      ->check(CLI::Range(0, 65535))
      ->default_str("any");
  c->add_option("--watch", o.watch, "print a line every SECONDS until Ctrl-C (or -d)")
      ->default_str("off");
  add_duration_flag(*c, o.duration, "with --watch: stop after SECONDS (0: at Ctrl-C)");
  add_output_flags(*c, o.out, false);
}

namespace {

// --watch: a line of counts every interval until -d or Ctrl-C.
class WatchJob final : public run::Job {
 public:
  explicit WatchJob(const diag::StateFilter& f) : filter_(f), last_(count_or_throw(f)) {}
  const diag::StateCounts& last() const noexcept { return last_; }

  std::uint64_t start() override { return loop::now_ns(); }
  void interval(double t, double, nlohmann::json& j, std::string& line) override {
    last_ = count_or_throw(filter_);
    j = {{"t", t}, {"states", states_json(last_)}};
    line = states_line(t, last_);
  }
  std::uint64_t stop(StopSignals&, bool) override { return loop::now_ns(); }
  bool reports_last_interval() const override { return false; }
  void summary(double, std::string&, nlohmann::json& j) override {
    j = {{"states", states_json(last_)}, {"total", last_.total()}};
  }

 private:
  diag::StateFilter filter_;
  diag::StateCounts last_;
};

}  // namespace

int run_states(const StatesOptions& o) {
  diag::StateFilter f;
  std::string scope = "on this host (IPv4 and IPv6)";
  if (o.port >= 0) {
    f.port = static_cast<std::uint16_t>(o.port);
    scope = fmt::format("on port {}", o.port);
  }
  if (o.local_port >= 0) {
    f.local_port = static_cast<std::uint16_t>(o.local_port);
    scope = fmt::format("with local port {}", o.local_port);
  }
  if (o.remote_port >= 0) {
    f.remote_port = static_cast<std::uint16_t>(o.remote_port);
    scope = fmt::format("with remote port {}", o.remote_port);
  }
  const nlohmann::json config = {{"port", o.port},
                                 {"local_port", o.local_port},
                                 {"remote_port", o.remote_port},
                                 {"watch", o.watch}};
  WatchJob job(f);
  if (o.watch.empty()) {  // one count, as a block
    run::Output out(o.out.settings(), "states", config);
    out.text(states_block(job.last(), scope));
    std::string none;
    job.summary(0, none, out.document()["summary"]);
    out.end();
    return kOk;
  }
  OutputFlags out = o.out;
  out.interval = o.watch;
  if (parse_seconds("--watch", o.watch) < 0.01) throw UsageError("--watch: at least 0.01 seconds");
  const double duration = parse_seconds("-d", o.duration);
  StopSignals signals;
  // The first line (t = 0) is part of the banner; the JSON has it as the first interval.
  const std::string banner =
      fmt::format("TCP sockets {}\n{}\n{}\n", scope, states_header(), states_line(0, job.last()));
  nlohmann::json first = {{"t", 0.0}, {"states", states_json(job.last())}};
  return run::drive(job, {"states", config, banner, duration, out.settings(), std::move(first)},
                    signals);
}

}  // namespace connperf::cli
