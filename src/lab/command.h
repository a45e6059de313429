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

// Starts argv[0] (a path, or found on PATH) in the background: stdin /dev/null, stdout and
// stderr to the files named (created or truncated). Returns its PID, or -1.
int spawn_background(const std::vector<std::string>& argv, const std::string& out_path,
                     const std::string& err_path);
// Stops a child started so: SIGTERM, then SIGKILL when it has not exited after `grace_ms`;
// reaps it. Returns its exit code (128+signal when killed), -1 when it was not our child.
int stop_child(int pid, int grace_ms);

}  // namespace connperf::lab
