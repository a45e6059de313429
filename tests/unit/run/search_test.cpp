// run_search (run/search) against a simulated target: one search finds both bounds — the NDR
// (no error at all) and the PDR (errors within --max-error-rate) — each with its bracket, and the
// most any step carried.
#include "run/search.h"

#include <gtest/gtest.h>

#include <fstream>

#include "../../scratch_file.h"

namespace connperf::run {
namespace {

// A target that answers everything up to 5,000/s, loses 1 in 2,000 from there, and carries no
// more than 8,000/s.
bool simulated_step(double rate, StepResult& out) {
  out.seconds = 1;
  const auto started = static_cast<std::uint64_t>(rate);
  const double carried = std::min(rate, 8000.0);
  const std::uint64_t errors = rate > 5000 ? started / 2000 : 0;
  out.total.started = started;
  out.total.completed = static_cast<std::uint64_t>(carried) - errors;
  out.total.errors[static_cast<std::size_t>(stats::ErrorKind::Timeout)] =
      started - out.total.completed;
  if (rate <= 8000) out.total.errors[static_cast<std::size_t>(stats::ErrorKind::Timeout)] = errors;
  out.total.total_us.record(100);
  return false;
}

TEST(Search, OneSearchFindsTheNdrThePdrAndTheMaximum) {
  SearchPlan plan;
  plan.command = "crr";
  plan.unit = "connections/s";
  plan.first_rate = 1000;
  plan.max_error_rate = 0.001;
  plan.step = simulated_step;
  OutputSettings out;
  out.quiet = true;
  out.json = test::scratch_file("search.json");
  EXPECT_EQ(run_search(plan, out), kOk);
  std::ifstream in(out.json);
  const nlohmann::json s = nlohmann::json::parse(in)["summary"]["search"];
  const double ndr = s["ndr"]["rate"], pdr = s["pdr"]["rate"];
  EXPECT_LE(ndr, 5000);
  EXPECT_GE(ndr, 5000 / 1.05) << s.dump();
  EXPECT_LE(pdr, 8000);
  EXPECT_GE(pdr, 8000 / 1.05) << s.dump();
  EXPECT_GT(s["ndr"]["bracket"][1].get<double>(), 5000);
  EXPECT_GT(s["pdr"]["bracket"][1].get<double>(), 8000);
  EXPECT_EQ(s["rate"], pdr);  // the search's headline stays the PDR
  EXPECT_GE(s["max_achieved"].get<double>(), 8000 * 0.999);
  EXPECT_EQ(s["ran_out_of_steps"], false);
  for (const auto& step : s["steps"])
    if (step["rate"].get<double>() <= 5000) EXPECT_EQ(step["failed"], 0) << step.dump();
}

}  // namespace
}  // namespace connperf::run
