#include "run/load_jobs.h"

#include <cstdio>
#include <optional>

#include <fmt/format.h>

#include "diag/sock_diag.h"
#include "loop/clock.h"
#include "run/load_job.h"
#include "stats/printers.h"

namespace connperf::run {

namespace {

void warn_ports_ran_out() {
  fmt::print(stderr,
             "warning: local ports ran out (EADDRNOTAVAIL): every source port to this target is "
             "in use or in TIME_WAIT. Use --close rst, add source addresses with --bind "
             "(e.g. 127.0.0.2-127.0.0.20), or lower --rate\n");
}

// --tls: summary.tls, latency_us.tls and the summary's handshakes line.
void add_tls(const stats::ClientSnapshot& total, const stats::TlsNames& names, nlohmann::json& j,
             std::string& text) {
  stats::add_tls_summary(j, total, names);
  text += stats::tls_summary_text(total, names);
}

class CrrJob final : public LoadJob<load::CrrEngine> {
 public:
  using LoadJob::LoadJob;

  void interval(double t, double seconds, nlohmann::json& j, std::string& line) override {
    const stats::ClientSnapshot d = delta();
    j = stats::crr_interval_json(t, d, seconds);
    line = stats::crr_line(t, d, seconds);
    mark_phase(t, seconds, d, j, line);
    warn_once();
  }

  void summary(double elapsed, std::string& text, nlohmann::json& j) override {
    const std::uint64_t aborted = take_totals();
    warn_once();
    const double load = load_seconds(elapsed);
    text = stats::crr_summary_text(total_, aborted, load, spec().rate > 0, elapsed - load);
    j = stats::crr_summary_json(total_, aborted, load);
    j["drain_s"] = elapsed - load;
    if (spec().tls.on) add_tls(total_, engine_.tls_names(), j, text);
    phases_.summarize(j, text, "cps", [this](const stats::ClientSnapshot& s, double seconds) {
      nlohmann::json out = stats::crr_summary_json(s, 0, seconds);
      if (spec().tls.on) stats::add_tls_summary(out, s, engine_.tls_names());  // sustain.tls
      return out;
    });
    std::vector<std::uint16_t> ports;
    for (const auto& t : spec().targets) ports.push_back(t.addr.port());
    if (const auto tw = diag::time_wait_on_ports(ports, false)) {
      text += fmt::format("\nTIME_WAIT sockets to the target port{} now: {}{}\n",
                          ports.size() == 1 ? "" : "s", stats::format_count(*tw),
                          spec().close == load::CloseMode::Fin && *tw > 0 ? " (from --close fin)"
                                                                          : "");
      j["time_wait"] = *tw;
    }
    add_log_summary(text, j);
  }


 private:
  void warn_once() {
    if (warned_ || !engine_.saw_addr_unavailable()) return;
    warned_ = true;
    warn_ports_ran_out();
  }

  bool warned_ = false;
};

class RrJob final : public LoadJob<load::RrEngine> {
 public:
  using LoadJob::LoadJob;

  void interval(double t, double seconds, nlohmann::json& j, std::string& line) override {
    std::uint64_t open = open_at_end_.value_or(engine_.open_connections());
    const stats::ClientSnapshot d = delta({&open, 1});
    j = stats::crr_interval_json(t, d, seconds);
    j["requests"] = d.completed;
    j["qps"] = j["cps"];
    j.erase("cps");
    j["connections"] = open;
    line = stats::rr_line(t, d, open, seconds);
    mark_phase(t, seconds, d, j, line);
  }

  // The last line shows the connections open before the close, not 0.
  std::uint64_t stop(StopSignals& signals, bool signalled) override {
    open_at_end_ = engine_.open_connections();
    return LoadJob::stop(signals, signalled);
  }

  void summary(double elapsed, std::string& text, nlohmann::json& j) override {
    const std::uint64_t aborted = take_totals();
    const double load = load_seconds(elapsed);
    text = stats::rr_summary_text(total_, aborted, load, spec().rate > 0, elapsed - load);
    j = stats::rr_summary_json(total_, aborted, load);
    j["drain_s"] = elapsed - load;
    j["answered_connections"] = engine_.answered_connections();
    if (spec().tls.on) add_tls(total_, engine_.tls_names(), j, text);
    if (j["answered_connections"] < spec().connections)
      text += fmt::format("only {} of {} connections got any response\n",
                          stats::format_count(j["answered_connections"]),
                          stats::format_count(spec().connections));
    phases_.summarize(j, text, "qps", [this](const stats::ClientSnapshot& s, double seconds) {
      nlohmann::json out = stats::rr_summary_json(s, 0, seconds);
      if (spec().tls.on) stats::add_tls_summary(out, s, engine_.tls_names());  // sustain.tls
      return out;
    });
    add_log_summary(text, j);
  }


 private:
  std::optional<std::uint64_t> open_at_end_;
};

nlohmann::json target_names(const load::Targets& t) {
  nlohmann::json names = nlohmann::json::array();
  for (const auto& target : t.targets) names.push_back(target.addr.to_string());
  return names;
}

}  // namespace

void add_objects_config(nlohmann::json& j, const load::Targets& t) {
  if (t.objects.empty()) return;
  j["object"] = {{"sizes", t.objects.sizes}, {"mix", t.objects.mix}};
  if (t.objects.mix) j["object"]["weights"] = t.objects.weights;
}

// config.tls (with --tls): what the client offers.
nlohmann::json tls_config(const tls::ClientOptions& t) {
  static constexpr const char* kVersions[] = {"any", "1.2", "1.3"};
  return {{"version", kVersions[static_cast<int>(t.version)]},
          {"groups", t.groups},
          {"ciphers", t.ciphers},
          {"ciphersuites", t.ciphersuites},
          {"sni", t.sni},
          {"alpn", t.alpn},
          {"resume", t.resume},
          {"verify", t.verify},
          {"close_notify", t.close_notify}};
}

std::string tls_banner(const tls::ClientOptions& t) {
  if (!t.on) return {};
  return fmt::format(", tls{}", t.resume > 0 ? fmt::format(" (resume {:g})", t.resume) : "");
}

nlohmann::json crr_config(const load::CrrSpec& s, double duration) {
  nlohmann::json j = {{"targets", target_names(s)},   {"threads", s.threads},
          {"concurrency", s.concurrency}, {"rate", s.rate},
          {"duration", duration},         {"count", s.count},
          {"close", load::to_string(s.close)},
          {"request", load::to_string(s.request)},
          {"timeout_ms", loop::ms_from_ns(s.timeout_ns)},
          {"bind_addresses", s.binds.size()}, {"cpus", s.cpus}};
  if (s.tls.on) j["tls"] = tls_config(s.tls);
  add_objects_config(j, s);
  if (s.proxy) j["proxy"] = s.proxy->to_string();
  return j;
}

nlohmann::json rr_config(const load::RrSpec& s, double duration) {
  nlohmann::json j = {{"targets", target_names(s)}, {"threads", s.threads},
          {"connections", s.connections}, {"rate", s.rate}, {"duration", duration},
          {"count", s.count}, {"request", s.size ? "echo" : load::to_string(s.request)},
          {"size", s.size}, {"timeout_ms", loop::ms_from_ns(s.timeout_ns)}, {"cpus", s.cpus}};
  add_objects_config(j, s);
  if (s.tls.on) j["tls"] = tls_config(s.tls);
  return j;
}

Plan crr_plan(const load::CrrSpec& s, double duration, const OutputSettings& out) {
  const std::string more =
      s.targets.size() > 1 ? fmt::format(" (+{} more)", s.targets.size() - 1) : std::string();
  std::string banner = fmt::format(
      "crr {}{} — {} thread{}, {}, close {}{}, request {}\n{}\n", s.targets.front().name, more,
      s.threads, s.threads == 1 ? "" : "s",
      s.rate > 0 ? fmt::format("{}/s (at most {} in flight)", s.rate, s.concurrency)
                 : fmt::format("{} in flight", s.concurrency),
      load::to_string(s.close), tls_banner(s.tls), load::to_string(s.request),
      stats::crr_header(!s.objects.empty()));
  return {"crr", crr_config(s, duration), std::move(banner), duration, out};
}

Plan rr_plan(const load::RrSpec& s, double duration, const OutputSettings& out) {
  std::string banner = fmt::format(
      "rr {} — {} thread{}, {} connections, {}{}, request {}\n{}\n", s.targets.front().name,
      s.threads, s.threads == 1 ? "" : "s", s.connections,
      s.rate > 0 ? fmt::format("{}/s scheduled", s.rate) : std::string("closed loop"),
      tls_banner(s.tls),
      s.size ? fmt::format("echo {} bytes", s.size) : load::to_string(s.request),
      stats::rr_header(!s.objects.empty()));
  return {"rr", rr_config(s, duration), std::move(banner), duration, out};
}

std::unique_ptr<Job> make_crr_job(load::CrrSpec spec) {
  return std::make_unique<CrrJob>(std::move(spec));
}

std::unique_ptr<Job> make_rr_job(load::RrSpec spec) {
  return std::make_unique<RrJob>(std::move(spec));
}

}  // namespace connperf::run
