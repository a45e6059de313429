// Running the system's own tools (ip, nft, conntrack) for the lab: argv only, no shell.
#pragma once

#include <string>
#include <vector>

namespace connperf::lab {

struct CommandResult {
  int code = -1;     // exit code; -1 when it could not be started or was killed
  std::string out;   // standard output
  std::string err;   // standard error
};

// Runs argv[0] (found on PATH) with `input` on its standard input; waits for it.
CommandResult run_command(const std::vector<std::string>& argv, const std::string& input = {});

}  // namespace connperf::lab
