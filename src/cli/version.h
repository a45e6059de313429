// What `connperf --version` prints: the release and the commit it was built from.
#pragma once

#include <string>

namespace connperf::cli {

// "connperf 0.1.0 (git 0cae2e2a1b2c)"; "connperf 0.1.0" when built outside a git checkout.
std::string version_line();

}  // namespace connperf::cli
