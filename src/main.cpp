// connperf: one binary for measuring and exercising TCP connection handling.
#include "cli/cli.h"

int main(int argc, char** argv) { return connperf::cli::run(argc, argv); }
