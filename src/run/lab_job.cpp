#include "run/lab_job.h"

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "lab/dut.h"
#include "lab/dut_reader.h"
#include "lab/lab.h"
#include "loop/clock.h"
#include "stats/printers.h"
#include "stats/server_stats.h"

namespace connperf::run {

namespace {

constexpr const char* kLabColumns =
    " |  dut entries    new/s refused/s   lost/s | srv accepted/s  rst/s";

struct ServerSide {
  stats::ListenerSnapshot total;
  static ServerSide of(const server::ServerEngine& srv) {
    std::vector<stats::ListenerSnapshot> per;
    srv.snapshot(per);
    ServerSide s;
    for (const auto& l : per) s.total += l;
    return s;
  }
};

// How far from the client's sample the others were read, in microseconds (all back to back on
// this thread, in-process; the client reads its counters first in its interval): the server's
// and the DUT's counters just before it, the DUT's table (its gauges: a dump of milliseconds)
// after it. The columns' skew.
struct Skew {
  std::uint64_t server_us = 0, dut_us = 0, dut_table_us = 0;
  nlohmann::json json() const {
    return {{"server", server_us}, {"dut", dut_us}, {"dut_table", dut_table_us}};
  }
  void widen(const Skew& o) {
    server_us = std::max(server_us, o.server_us);
    dut_us = std::max(dut_us, o.dut_us);
    dut_table_us = std::max(dut_table_us, o.dut_table_us);
  }
};

// The load ends first (with its grace), then the server beside it drains for a moment and stops.
std::uint64_t stop_beside(Job& load, server::ServerEngine& srv, StopSignals& signals,
                          bool signalled) {
  const std::uint64_t end = load.stop(signals, signalled);
  srv.drain();
  const std::uint64_t drain_end = loop::now_ns() + 2 * loop::kSec;
  while (!srv.finished() && loop::now_ns() < drain_end)
    if (signals.wait_until(std::min(drain_end, loop::now_ns() + 5 * loop::kMs))) break;
  srv.stop();
  srv.join();
  return end;
}

// The figure a calibration compares: the load's rate (crr, rr) or what it held open (cc).
double headline(const nlohmann::json& summary) {
  for (const char* k : {"cps", "qps", "established"})
    if (summary.contains(k) && summary[k].is_number()) return summary[k].get<double>();
  return 0;
}

// The calibration pass: the load with its direct server beside it; keeps the summary.
class CalibrationJob final : public JobDecorator {
 public:
  CalibrationJob(std::unique_ptr<Job> load, server::ServerEngine& srv)
      : JobDecorator(std::move(load)), srv_(srv) {}
  std::uint64_t start() override {
    srv_.start();
    return load_->start();
  }
  std::uint64_t stop(StopSignals& signals, bool signalled) override {
    signalled_ = signalled;
    return stop_beside(*load_, srv_, signals, signalled);
  }
  void summary(double elapsed, std::string& text, nlohmann::json& j) override {
    load_->summary(elapsed, text, j);
    kept_ = j;
  }
  const nlohmann::json& kept() const noexcept { return kept_; }
  bool signalled() const noexcept { return signalled_; }

 private:
  server::ServerEngine& srv_;
  nlohmann::json kept_;
  bool signalled_ = false;
};

class LabJob final : public JobDecorator {
 public:
  LabJob(std::unique_ptr<Job> load, server::ServerEngine& srv, std::string lab,
         std::string command, lab::DutReader& dut, nlohmann::json calibration)
      : JobDecorator(std::move(load)), srv_(srv), lab_(std::move(lab)),
        command_(std::move(command)), dut_(dut), calibration_(std::move(calibration)) {}

  std::uint64_t start() override {
    srv_.start();
    dut_prev_ = dut_.sample();
    dut_start_ = dut_prev_;
    return load_->start();
  }

  // The server's, the DUT's and the client's counters at one tick, read in that order at once;
  // then the DUT's table.
  void interval(double t, double seconds, nlohmann::json& j, std::string& line) override {
    const std::uint64_t t_server = loop::now_ns();
    const ServerSide s = ServerSide::of(srv_);
    const std::uint64_t t_dut = loop::now_ns();
    lab::DutSample d = dut_prev_;
    const bool fresh = read_dut(&lab::DutReader::counters, d);
    const std::uint64_t t_client = loop::now_ns();
    load_->interval(t, seconds, j, line);
    if (fresh) read_dut(&lab::DutReader::table, d);
    const Skew skew{(t_client - t_server) / 1000, (t_client - t_dut) / 1000,
                    (loop::now_ns() - t_client) / 1000};
    max_skew_.widen(skew);
    stats::ListenerSnapshot sd = s.total;
    sd -= srv_prev_.total;
    const lab::DutSample over = lab::since(d, dut_prev_);
    dut_intervals_.push_back(lab::dut_interval_json(t, d, dut_prev_));
    j["server"] = stats::server_interval_json(s.total, srv_prev_.total);
    j["skew_us"] = skew.json();
    dut_prev_ = d;
    srv_prev_ = s;
    auto rate = [seconds](std::uint64_t n) {
      return stats::format_count(static_cast<std::uint64_t>(static_cast<double>(n) / seconds));
    };
    line += fmt::format(" | {:>11} {:>8} {:>9} {:>8} | {:>14} {:>6}",
                        stats::format_count(d.entries), rate(over.inserted),
                        rate(over.refused + over.rejected), rate(over.lost + over.dropped),
                        rate(sd.accepted), rate(sd.rst));
  }

  std::uint64_t stop(StopSignals& signals, bool signalled) override {
    return stop_beside(*load_, srv_, signals, signalled);
  }

  // The reconciliation is the one --server-stats makes (stats::reconcile), with the DUT's
  // figures over the run beside it.
  void summary(double elapsed, std::string& text, nlohmann::json& j) override {
    load_->summary(elapsed, text, j);
    lab::DutSample now = dut_prev_;
    if (read_dut(&lab::DutReader::counters, now)) read_dut(&lab::DutReader::table, now);
    const lab::DutSample over_run = lab::since(now, dut_start_);
    const stats::ListenerSnapshot server = ServerSide::of(srv_).total;
    std::vector<std::string> names;
    for (const auto& a : srv_.addresses()) names.push_back(a.to_string());
    std::vector<stats::ListenerSnapshot> per;
    srv_.snapshot(per);
    server_json_ = stats::server_summary_json(names, per, srv_.peers(), elapsed);
    if (srv_.spec().tls) {  // as `server --tls` writes it
      for (std::size_t i = 0; i < per.size(); ++i)
        server_json_["listeners"][i]["tls"] = stats::server_tls_json(per[i], true);
      server_json_["tls"] = stats::server_tls_json(server, true);
    }
    dut_summary_ = lab::dut_json(over_run);
    reconciliation_ = lab::reconcile(lab_, command_, j, server, server.active(), over_run);
    text += lab::reconcile_text(reconciliation_, over_run);
    if (!calibration_.is_null()) {
      const double direct = headline(calibration_), through = headline(j);
      ratio_ = direct > 0 ? nlohmann::json(through / direct) : nlohmann::json();
      text += fmt::format("calibration: through the DUT {} of the direct path's {} ({})\n",
                          stats::format_rate(through), stats::format_rate(direct),
                          direct > 0 ? fmt::format("{:.1f}%", through / direct * 100)
                                     : std::string("the direct path completed nothing"));
    }
    if (!dut_intervals_.empty())
      text += fmt::format("  each row's server and DUT counters were read at most {} and {} µs "
                          "before its client's, the DUT's table at most {} µs after\n",
                          stats::format_count(max_skew_.server_us),
                          stats::format_count(max_skew_.dut_us),
                          stats::format_count(max_skew_.dut_table_us));
  }

  void add_sections(nlohmann::json& doc) override {
    load_->add_sections(doc);
    doc["dut"] = {{"intervals", dut_intervals_}, {"summary", dut_summary_},
                  {"skew_us_max", max_skew_.json()}};
    doc["server"] = server_json_;
    doc["reconciliation"] = reconciliation_;
    if (!calibration_.is_null())
      doc["calibration"] = {{"summary", calibration_}, {"ratio", ratio_}};
  }

 private:
  // A dump that fails mid-run leaves the previous sample standing: the next interval's
  // counters then span both. False when it failed.
  bool read_dut(void (lab::DutReader::*part)(lab::DutSample&), lab::DutSample& d) {
    try {
      (dut_.*part)(d);
      return true;
    } catch (const lab::LabError& e) {
      std::fprintf(stderr, "warning: lab %s: %s\n", lab_.c_str(), e.what());
      d = dut_prev_;
      return false;
    }
  }

  server::ServerEngine& srv_;
  std::string lab_;
  std::string command_;
  lab::DutReader& dut_;
  lab::DutSample dut_prev_, dut_start_;
  ServerSide srv_prev_;
  Skew max_skew_;
  nlohmann::json dut_intervals_ = nlohmann::json::array();
  nlohmann::json dut_summary_, server_json_, reconciliation_;
  nlohmann::json calibration_, ratio_;
};

}  // namespace

std::optional<nlohmann::json> drive_calibration(Prepared p, server::ServerEngine& direct,
                                                StopSignals& signals) {
  p.plan.out.json.clear();    // the DUT run's document carries this one's summary
  p.plan.out.ndjson.clear();
  p.plan.banner = "calibration: the same load on the direct path (the client namespace's "
                  "loopback: no forwarding, no conntrack)\n" + p.plan.banner;
  CalibrationJob job(std::move(p.job), direct);
  drive(job, p.plan, signals);
  if (job.signalled()) return std::nullopt;
  return job.kept();
}

int drive_lab(Prepared p, server::ServerEngine& srv, const std::string& lab,
              StopSignals& signals, nlohmann::json calibration) {
  lab::DutReader dut(lab);
  const std::optional<lab::LabSpec> settings = dut.settings();
  p.plan.config["lab"]["dut"] = settings ? lab::settings_json(*settings) : nlohmann::json(nullptr);
  std::string& banner = p.plan.banner;
  if (!banner.empty() && banner.back() == '\n') banner.pop_back();
  banner = fmt::format("lab {}: {}\n{}{}\n", lab,
                       settings ? lab::settings_text(*settings) : "settings unknown (an older lab)",
                       banner, kLabColumns);
  LabJob job(std::move(p.job), srv, lab, p.plan.command, dut, std::move(calibration));
  return drive(job, p.plan, signals);
}

}  // namespace connperf::run
