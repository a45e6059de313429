// Exit codes of every subcommand and the exceptions that carry them (header only, so a small
// parser like duration.cpp can throw them without pulling in the rest of cli/).
#pragma once

#include <stdexcept>

namespace connperf::cli {

enum Exit : int { kOk = 0, kCannotRun = 1, kUsage = 2, kErrorRate = 3 };

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
class RunError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace connperf::cli
