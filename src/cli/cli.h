// Entry point of the connperf command line: parses argv, runs one subcommand, returns the exit
// code (DESIGN.md section 4).
#pragma once

#include <string>
#include <vector>

namespace connperf::cli {

int run(int argc, char** argv);

// The subcommands, in the order of the table that declares and runs them (and of --help).
std::vector<std::string> subcommand_names();

}  // namespace connperf::cli
