#include "load/search.h"

namespace connperf::load {

RateSearch::RateSearch(double first, double precision, std::size_t max_steps, double min_rate)
    : next_(first), precision_(precision), min_rate_(min_rate), max_steps_(max_steps) {}

bool RateSearch::done() const noexcept { return steps_ >= max_steps_ || converged(); }

bool RateSearch::converged() const noexcept {
  if (held_ == 0) return failed_ > 0 && next_ < min_rate_;  // nothing holds, even the least
  return failed_ > 0 && failed_ - held_ <= precision_ * held_;
}

bool RateSearch::ran_out_of_steps() const noexcept {
  return steps_ >= max_steps_ && !converged();
}

void RateSearch::observe(double rate, bool held) noexcept {
  ++steps_;
  if (held && rate > held_) held_ = rate;
  if (!held && (failed_ == 0 || rate < failed_)) failed_ = rate;
  if (held_ == 0 && failed_ == 0) return;
  if (failed_ == 0) next_ = held_ * 2;          // still climbing
  else if (held_ == 0) next_ = failed_ / 2;     // still falling
  else next_ = (held_ + failed_) / 2;           // bracketed
}

}  // namespace connperf::load
