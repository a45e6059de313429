#include "lab/dut.h"

#include <fmt/format.h>

#include "stats/counter.h"
#include "stats/printers.h"
#include "stats/reconcile.h"

namespace connperf::lab {

DutSample since(const DutSample& now, const DutSample& before) noexcept {
  DutSample d = now;  // the gauges as they are now
  d.inserted = stats::counter_delta(now.inserted, before.inserted);
  d.dropped = stats::counter_delta(now.dropped, before.dropped);
  d.nft_drops = stats::counter_delta(now.nft_drops, before.nft_drops);
  d.lost = stats::counter_delta(now.lost, before.lost);
  d.refused = stats::counter_delta(now.refused, before.refused);
  d.rejected = stats::counter_delta(now.rejected, before.rejected);
  return d;
}

nlohmann::json dut_json(const DutSample& d) {
  return {{"entries", d.entries},       {"established", d.established},
          {"close", d.close},           {"time_wait", d.time_wait},
          {"other", d.other},           {"new", d.inserted},
          {"conntrack_drops", d.dropped}, {"rule_drops", d.nft_drops},
          {"lost", d.lost},             {"refused", d.refused},
          {"reset", d.rejected}};
}

nlohmann::json dut_interval_json(double t, const DutSample& now, const DutSample& before) {
  nlohmann::json j = {{"t", t}};
  j.update(dut_json(since(now, before)));
  return j;
}

std::string dut_text(const DutSample& d) {
  using stats::format_count;
  return fmt::format(
      "  conntrack  {} entries: {} established, {} close, {} time_wait, {} other; dropped {} "
      "packets\n"
      "  forwarded  {} new connections; by the rules: {} connections refused (limit), {} reset, "
      "{} packets lost\n",
      format_count(d.entries), format_count(d.established), format_count(d.close),
      format_count(d.time_wait), format_count(d.other), format_count(d.dropped),
      format_count(d.inserted), format_count(d.refused), format_count(d.rejected),
      format_count(d.lost));
}

nlohmann::json reconcile(std::string_view lab, std::string_view command,
                         const nlohmann::json& client_summary,
                         const stats::ListenerSnapshot& server, std::uint64_t open_now,
                         const DutSample& over_run) {
  nlohmann::json j = stats::reconcile(command, client_summary, server, open_now);
  j["lab"] = lab;
  j["dut"] = dut_json(over_run);
  return j;
}

std::string reconcile_text(const nlohmann::json& r, const DutSample& over_run) {
  const std::string lab = r.value("lab", "");
  std::string out = stats::reconcile_text(r, fmt::format("lab {}'s server", lab));
  out += fmt::format("through the DUT ({}), over this run\n", lab);
  return out + dut_text(over_run);
}

}  // namespace connperf::lab
