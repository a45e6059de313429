// Exit codes of every run and the exceptions that carry them up to main (header only, so a small
// parser such as cli/duration.cpp can throw them without pulling in the rest of the program).
#pragma once

#include <stdexcept>

namespace connperf::run {

// kRegressed: `compare` found a metric worse beyond its tolerance and the noise (CI's "fail").
enum Exit : int { kOk = 0, kCannotRun = 1, kRegressed = 1, kUsage = 2, kErrorRate = 3 };

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
class RunError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace connperf::run
