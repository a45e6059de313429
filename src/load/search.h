// --search: which --rate to try next. Exponential from the first rate (doubling while steps
// hold, halving while they fail), then binary between the highest rate that held and the lowest
// that failed until they are within `precision` of each other. Pure logic: the caller runs each
// step and says whether it held.
#pragma once

#include <cstddef>

namespace connperf::load {

class RateSearch {
 public:
  // `precision`: done when (failed - held) <= precision * held; `min_rate`: below it, give up.
  RateSearch(double first, double precision, std::size_t max_steps, double min_rate = 1);

  bool done() const noexcept;
  bool converged() const noexcept;  // the bracket is within the precision (or nothing holds)
  double next() const noexcept { return next_; }
  void record(bool held) noexcept { observe(next_, held); }  // the result of the step at next()
  // The result of a step at any rate (another search's): it narrows this bracket as well, and
  // next() follows the bracket.
  void observe(double rate, bool held) noexcept;

  double held() const noexcept { return held_; }      // highest rate that held; 0: none
  double failed() const noexcept { return failed_; }  // lowest rate that failed; 0: none
  std::size_t steps() const noexcept { return steps_; }
  // Done only because the steps ran out: the bracket is still wider than the precision.
  bool ran_out_of_steps() const noexcept;

 private:
  double next_, precision_, min_rate_;
  std::size_t max_steps_, steps_ = 0;
  double held_ = 0, failed_ = 0;
};

}  // namespace connperf::load
