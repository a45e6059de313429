#include "run/server_stats.h"

#include <fmt/format.h>

#include "client/http_get.h"
#include "loop/clock.h"
#include "stats/reconcile.h"

namespace connperf::run {

namespace {

constexpr int kFetchTimeoutMs = 5000;

// --server-stats takes what --stats-listen took: a PORT (127.0.0.1), ADDR:PORT, or the URL.
std::string stats_url(const std::string& spec) {
  if (spec.find("://") != std::string::npos) return spec;
  const bool port_only =
      !spec.empty() && spec.find_first_not_of("0123456789") == std::string::npos;
  return "http://" + (port_only ? "127.0.0.1:" + spec : spec);
}

// A load run with the target server's counts read before and after it.
class ReconcileJob final : public JobDecorator {
 public:
  ReconcileJob(std::unique_ptr<Job> load, std::string command, std::string url)
      : JobDecorator(std::move(load)), command_(std::move(command)), source_(std::move(url)) {
    try {
      url_ = client::parse_http_url(stats_url(source_));
    } catch (const client::HttpGetError& e) {
      throw UsageError(fmt::format("--server-stats: {}", e.what()));
    }
    try {
      before_ = fetch();
    } catch (const client::HttpGetError& e) {
      throw RunError(fmt::format("--server-stats: cannot read the server's counts: {}", e.what()));
    }
  }

  // The load ends (with its grace); then the server's counts are read until they hold still
  // (its last resets and closes arrive a moment after ours), for at most kSettleNs.
  std::uint64_t stop(StopSignals& signals, bool signalled) override {
    const std::uint64_t end = load_->stop(signals, signalled);
    constexpr std::uint64_t kSettleNs = 2 * loop::kSec;
    const std::uint64_t give_up = loop::now_ns() + kSettleNs;
    try {
      after_ = fetch();
      for (;;) {
        if (signals.wait_until(loop::now_ns() + 50 * loop::kMs) || loop::now_ns() >= give_up)
          break;
        const nlohmann::json again = fetch();
        const bool still = same_counts(again, after_);
        after_ = again;
        if (still) break;
      }
    } catch (const client::HttpGetError& e) {
      error_ = e.what();
    }
    return end;
  }

  void summary(double elapsed, std::string& text, nlohmann::json& j) override {
    load_->summary(elapsed, text, j);
    if (!error_.empty()) {
      result_ = {{"server_stats", source_}, {"error", error_}};
      text += fmt::format("\nclient vs server: cannot read the server's counts at the end: {}\n",
                          error_);
      return;
    }
    stats::ListenerSnapshot over_run = stats::server_counts_of(after_);
    over_run -= stats::server_counts_of(before_);
    result_ = stats::reconcile(command_, j, over_run, after_.value("active", std::uint64_t{0}));
    result_["server_stats"] = source_;
    text += stats::reconcile_text(result_, source_);
  }

  void add_sections(nlohmann::json& doc) override {
    load_->add_sections(doc);
    doc["reconciliation"] = result_;
  }

 private:
  nlohmann::json fetch() const {
    const client::HttpReply r = client::http_get(url_, "/stats", kFetchTimeoutMs);
    if (r.status != 200)
      throw client::HttpGetError(fmt::format("{}/stats answered {}", source_, r.status));
    nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
    if (!j.is_object() || !j.contains("accepted"))
      throw client::HttpGetError(source_ + "/stats is not a connperf server's stats");
    return j;
  }

  static bool same_counts(const nlohmann::json& a, const nlohmann::json& b) {
    for (const char* k : {"accepted", "requests", "rst", "fin", "closed_by_server", "errors"})
      if (a.value(k, std::uint64_t{0}) != b.value(k, std::uint64_t{0})) return false;
    return true;
  }

  std::string command_;
  std::string source_;
  client::HttpUrl url_;
  nlohmann::json before_, after_, result_;
  std::string error_;
};

}  // namespace

Prepared with_server_stats(Prepared p, const std::string& url) {
  if (url.empty()) return p;
  std::string source = url;
  while (!source.empty() && source.back() == '/') source.pop_back();
  p.job = std::make_unique<ReconcileJob>(std::move(p.job), p.plan.command, source);
  p.plan.config["server_stats"] = source;
  return p;
}

}  // namespace connperf::run
