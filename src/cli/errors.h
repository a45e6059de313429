// The command layer speaks the run layer's exit codes and errors (run/errors.h) unqualified.
#pragma once

#include "run/errors.h"

namespace connperf::cli {

using run::Exit;
using run::kCannotRun;
using run::kErrorRate;
using run::kOk;
using run::kRegressed;
using run::kUsage;
using run::RunError;
using run::UsageError;

}  // namespace connperf::cli
