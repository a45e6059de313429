// Compiled on its own (not in a unity batch): the build rewrites connperf_git.h only when the
// commit changes, and then this one file is recompiled.
#include "cli/version.h"

#include "connperf_git.h"  // CONNPERF_GIT: `git describe --always --dirty`, or "" (cmake/git_commit.cmake)

namespace connperf::cli {

std::string version_line() {
  const std::string commit = CONNPERF_GIT;
  return "connperf " CONNPERF_VERSION + (commit.empty() ? "" : " (git " + commit + ")");
}

}  // namespace connperf::cli
