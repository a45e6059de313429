// Entry point of the connperf command line: parses argv, runs one subcommand, returns the exit
// code (DESIGN.md section 4).
#pragma once

namespace connperf::cli {

int run(int argc, char** argv);

}  // namespace connperf::cli
