// `connperf merge`: its flags and its run (the merging itself is result/merge.h).
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace connperf::cli {

struct MergeOptions {
  std::vector<std::string> files;
  std::string json;
};

void add_merge(CLI::App& app, MergeOptions& o);
int run_merge(const MergeOptions& o);

}  // namespace connperf::cli
