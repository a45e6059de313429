#include "run/lab_job.h"

#include <fmt/format.h>

#include "lab/dut.h"
#include "lab/lab.h"
#include "stats/printers.h"
#include "stats/server_stats.h"

namespace connperf::run {

namespace {

constexpr const char* kLabColumns = " |  dut entries    new/s  drops/s | srv accepted/s  rst/s";

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

class LabJob final : public JobDecorator {
 public:
  LabJob(std::unique_ptr<Job> load, server::ServerEngine& srv, std::string lab,
         std::string command)
      : JobDecorator(std::move(load)), srv_(srv), lab_(std::move(lab)),
        command_(std::move(command)) {}

  std::uint64_t start() override {
    srv_.start();
    dut_prev_ = lab::sample_dut(lab_);
    dut_start_ = dut_prev_;
    return load_->start();
  }

  void interval(double t, double seconds, nlohmann::json& j, std::string& line) override {
    load_->interval(t, seconds, j, line);
    const lab::DutSample d = lab::sample_dut(lab_);
    const ServerSide s = ServerSide::of(srv_);
    stats::ListenerSnapshot sd = s.total;
    sd -= srv_prev_.total;
    const lab::DutSample over = lab::since(d, dut_prev_);
    dut_intervals_.push_back(lab::dut_interval_json(t, d, dut_prev_));
    dut_prev_ = d;
    srv_prev_ = s;
    auto rate = [seconds](std::uint64_t n) {
      return stats::format_count(static_cast<std::uint64_t>(static_cast<double>(n) / seconds));
    };
    line += fmt::format(" | {:>11} {:>8} {:>8} | {:>14} {:>6}", stats::format_count(d.entries),
                        rate(over.inserted), rate(over.nft_drops + over.dropped),
                        rate(sd.accepted), rate(sd.rst));
    j["server"] = stats::server_counts_json(sd);
  }

  // The load ends first (with its grace), then the server drains for a moment and stops.
  std::uint64_t stop(StopSignals& signals, bool signalled) override {
    const std::uint64_t end = load_->stop(signals, signalled);
    srv_.drain();
    const std::uint64_t drain_end = loop::now_ns() + 2 * loop::kSec;
    while (!srv_.finished() && loop::now_ns() < drain_end)
      if (signals.wait_until(std::min(drain_end, loop::now_ns() + 5 * loop::kMs))) break;
    srv_.stop();
    srv_.join();
    return end;
  }

  // The reconciliation is the one --server-stats makes (stats::reconcile), with the DUT's
  // figures over the run beside it.
  void summary(double elapsed, std::string& text, nlohmann::json& j) override {
    load_->summary(elapsed, text, j);
    const lab::DutSample over_run = lab::since(lab::sample_dut(lab_), dut_start_);
    const stats::ListenerSnapshot server = ServerSide::of(srv_).total;
    std::vector<std::string> names;
    for (const auto& a : srv_.addresses()) names.push_back(a.to_string());
    std::vector<stats::ListenerSnapshot> per;
    srv_.snapshot(per);
    server_json_ = stats::server_summary_json(names, per, srv_.peers(), elapsed);
    dut_summary_ = lab::dut_json(over_run);
    reconciliation_ = lab::reconcile(lab_, command_, j, server, server.active(), over_run);
    text += lab::reconcile_text(reconciliation_, over_run);
  }

  void add_sections(nlohmann::json& doc) override {
    load_->add_sections(doc);
    doc["dut"] = {{"intervals", dut_intervals_}, {"summary", dut_summary_}};
    doc["server"] = server_json_;
    doc["reconciliation"] = reconciliation_;
  }

 private:
  server::ServerEngine& srv_;
  std::string lab_;
  std::string command_;
  lab::DutSample dut_prev_, dut_start_;
  ServerSide srv_prev_;
  nlohmann::json dut_intervals_ = nlohmann::json::array();
  nlohmann::json dut_summary_, server_json_, reconciliation_;
};

}  // namespace

int drive_lab(Prepared p, server::ServerEngine& srv, const std::string& lab,
              StopSignals& signals) {
  std::string& banner = p.plan.banner;
  if (!banner.empty() && banner.back() == '\n') banner.pop_back();
  banner += fmt::format("{}\n", kLabColumns);
  LabJob job(std::move(p.job), srv, lab, p.plan.command);
  return drive(job, p.plan, signals);
}

}  // namespace connperf::run
