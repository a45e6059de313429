// `connperf lab run`: the server in the lab's server namespace and a load subcommand in its client
// namespace, in this one process (each side's threads are made after entering its namespace),
// with the DUT sampled every interval. One table shows client, DUT and server side by side; the
// result document gains dut.intervals[] and dut.summary (lab::dut_json's shape), server and
// reconciliation (stats::reconcile's, with the DUT's figures).
#include <algorithm>
#include <cstdio>
#include <sstream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "run/driver.h"
#include "run/load_job.h"
#include "lab/lab.h"
#include "stats/printers.h"

namespace connperf::cli {

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

class LabJob final : public run::JobDecorator {
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

// Parses `args` (a subcommand and its flags) with the subcommand's own flag declarations.
template <typename Options, typename Add>
void parse_as(const std::string& name, Add add, Options& o, std::vector<std::string> args) {
  CLI::App app;
  app.option_defaults()->always_capture_default();
  add(app, o);
  std::reverse(args.begin(), args.end());  // CLI11 takes the vector last argument first
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    throw UsageError(fmt::format("lab run {}: {}", name, e.what()));
  }
}

bool names_a_target(const std::vector<std::string>& args) {
  return std::any_of(args.begin() + 1, args.end(), [](const std::string& a) {
    const auto colon = a.rfind(':');
    return !a.empty() && a[0] != '-' && colon != std::string::npos && colon + 1 < a.size() &&
           std::all_of(a.begin() + static_cast<long>(colon) + 1, a.end(),
                       [](char c) { return c >= '0' && c <= '9'; });
  });
}

}  // namespace

int run_lab_run(const LabOptions& o) {
  std::vector<std::string> load = o.load_args;
  if (load.empty() || (load[0] != "crr" && load[0] != "rr" && load[0] != "cc"))
    throw UsageError("lab run: give the load after --: crr|rr|cc ARGS...");
  const lab::Topology t{o.spec.name};
  if (lab::existing(t.name).size() != 3) throw RunError("lab " + t.name + " is not up");
  std::vector<std::string> server_args = {"server"};
  std::istringstream words(o.server_args);
  for (std::string w; words >> w;) server_args.push_back(w);
  if (std::find(server_args.begin(), server_args.end(), "--listen") == server_args.end())
    server_args.insert(server_args.end(), {"--listen", std::string(lab::Topology::kServer) + ":8080"});
  ServerOptions so;
  parse_as("--server-args", add_server, so, server_args);
  so.netns = t.server_ns();
  const auto srv = server::make_server(server_spec(so));  // enters the server namespace
  srv->open();
  const std::string target = srv->addresses().front().to_string();
  if (!names_a_target(load)) load.insert(load.begin() + 1, target);
  load.insert(load.begin() + 1, {"--netns", t.client_ns()});

  StopSignals signals;
  CrrOptions crr;
  RrOptions rr;
  CcOptions cc;
  run::Prepared p;
  if (load[0] == "crr") {
    parse_as("crr", add_crr, crr, load);
    if (crr.search.on) throw UsageError("lab run: crr --search is not supported here");
    p = prepare_crr(crr, crr_spec(crr));
  } else if (load[0] == "rr") {
    parse_as("rr", add_rr, rr, load);
    if (!rr.sweep.empty() || rr.search.on)
      throw UsageError("lab run: rr --sweep and --search are not supported here");
    p = prepare_rr(rr, rr_spec(rr));
  } else {
    parse_as("cc", add_cc, cc, load);
    p = prepare_cc(cc);
  }
  if (!crr.to.server_stats.empty() || !rr.to.server_stats.empty() || !cc.to.server_stats.empty())
    throw UsageError("lab run: no --server-stats here: lab run reconciles with its own server");
  std::string& banner = p.plan.banner;
  if (!banner.empty() && banner.back() == '\n') banner.pop_back();
  banner += fmt::format("{}\n", kLabColumns);
  p.plan.config["lab"] = {{"name", t.name}, {"server", target}, {"server_args", o.server_args}};
  LabJob job(std::move(p.job), *srv, t.name, load[0]);
  return run::drive(job, p.plan, signals);
}

}  // namespace connperf::cli
