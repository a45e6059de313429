// `connperf lab run`: the server in the lab's server namespace and a load subcommand in its client
// namespace, in this one process (each side's threads are made after entering its namespace),
// with the DUT sampled every interval. One table shows client, DUT and server side by side; the
// result document gains dut.intervals[], server and reconciliation.
#include <algorithm>
#include <cstdio>
#include <sstream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "run/driver.h"
#include "run/load_job.h"
#include "lab/lab.h"
#include "stats/printers.h"
#include "stats/reconcile.h"

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
  LabJob(std::unique_ptr<Job> load, server::ServerEngine& srv, std::string lab)
      : JobDecorator(std::move(load)), srv_(srv), lab_(std::move(lab)) {}

  std::uint64_t start() override {
    srv_.start();
    dut_prev_ = lab::sample_dut(lab_);
    dut_start_ = dut_prev_;
    dut_start_new_ = dut_prev_.inserted;
    return load_->start();
  }

  void interval(double t, double seconds, nlohmann::json& j, std::string& line) override {
    load_->interval(t, seconds, j, line);
    const lab::DutSample d = lab::sample_dut(lab_);
    const ServerSide s = ServerSide::of(srv_);
    stats::ListenerSnapshot sd = s.total;
    sd -= srv_prev_.total;
    const std::uint64_t fresh = d.inserted - dut_prev_.inserted;
    const std::uint64_t drops = d.nft_drops + d.dropped - dut_prev_.nft_drops - dut_prev_.dropped;
    dut_prev_ = d;
    srv_prev_ = s;
    auto rate = [seconds](std::uint64_t n) {
      return stats::format_count(static_cast<std::uint64_t>(static_cast<double>(n) / seconds));
    };
    line += fmt::format(" | {:>11} {:>8} {:>8} | {:>14} {:>6}", stats::format_count(d.entries),
                        rate(fresh), rate(drops), rate(sd.accepted), rate(sd.rst));
    dut_intervals_.push_back({{"t", t},
                              {"entries", d.entries},
                              {"established", d.established},
                              {"close", d.close},
                              {"time_wait", d.time_wait},
                              {"new", fresh},
                              {"drops", drops}});
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

  void summary(double elapsed, std::string& text, nlohmann::json& j) override {
    load_->summary(elapsed, text, j);
    client_ = j;
    dut_end_ = lab::sample_dut(lab_);
    server_ = ServerSide::of(srv_).total;
    std::vector<std::string> names;
    for (const auto& a : srv_.addresses()) names.push_back(a.to_string());
    std::vector<stats::ListenerSnapshot> per;
    srv_.snapshot(per);
    server_json_ = stats::server_summary_json(names, per, srv_.peers(), elapsed);
    text += reconciliation_text();
  }

  void add_sections(nlohmann::json& doc) override {
    doc["dut"] = {{"intervals", dut_intervals_},
                  {"summary",
                   {{"entries", dut_end_.entries}, {"close", dut_end_.close},
                    {"time_wait", dut_end_.time_wait}, {"established", dut_end_.established},
                    {"new", dut_end_.inserted - dut_start_new_}, {"rule_drops", dut_end_.nft_drops},
                    {"conntrack_drops", dut_end_.dropped}}}};
    doc["server"] = server_json_;
    doc["reconciliation"] = reconciliation();
  }

 private:
  std::uint64_t client_started() const { return stats::ClientSide::of(client_).started; }
  std::uint64_t client_completed() const { return stats::ClientSide::of(client_).completed; }

  nlohmann::json reconciliation() const {
    const auto signed_diff = stats::signed_difference;
    return {{"client_started", client_started()},
            {"client_completed", client_completed()},
            {"client_errors", client_.value("errors", nlohmann::json::object())},
            {"dut_new", dut_end_.inserted - dut_start_new_},
            {"dut_rule_drops", dut_end_.nft_drops},
            {"dut_lost_packets", dut_end_.lost - dut_start_.lost},
            {"dut_refused", dut_end_.refused - dut_start_.refused},
            {"dut_reset", dut_end_.rejected - dut_start_.rejected},
            {"server_accepted", server_.accepted},
            {"server_rst", server_.rst},
            {"server_fin", server_.fin},
            {"differences",
             {{"started_not_accepted", signed_diff(client_started(), server_.accepted)},
              {"completed_not_reset_at_server", signed_diff(client_completed(), server_.rst)}}}};
  }

  std::string reconciliation_text() const {
    const nlohmann::json r = reconciliation();
    return fmt::format(
        "\nthrough the DUT ({})\n  client   started {}, completed {}\n  dut      new {}, "
        "dropped or reset by its rules {} packets, {} entries now ({} close, {} time_wait)\n"
        "  server   accepted {}, rst {}, fin {}\n  started but never accepted: {}\n",
        lab_, stats::format_count(client_started()), stats::format_count(client_completed()),
        stats::format_count(r["dut_new"]), stats::format_count(dut_end_.nft_drops),
        stats::format_count(dut_end_.entries), stats::format_count(dut_end_.close),
        stats::format_count(dut_end_.time_wait), stats::format_count(server_.accepted),
        stats::format_count(server_.rst), stats::format_count(server_.fin),
        r["differences"]["started_not_accepted"].get<std::int64_t>());
  }

  server::ServerEngine& srv_;
  std::string lab_;
  lab::DutSample dut_prev_, dut_start_, dut_end_;
  std::uint64_t dut_start_new_ = 0;
  ServerSide srv_prev_;
  stats::ListenerSnapshot server_;
  nlohmann::json dut_intervals_ = nlohmann::json::array();
  nlohmann::json client_;
  nlohmann::json server_json_;
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
  LabJob job(std::move(p.job), *srv, t.name);
  return run::drive(job, p.plan, signals);
}

}  // namespace connperf::cli
