// Facts about processes read from /proc: our own binary, a process tree, its memory. Any thread;
// a process that is gone reads as empty.
#pragma once

#include <string>
#include <vector>

namespace connperf::diag {

std::string self_path();  // /proc/self/exe; "" when it cannot be read
std::string slurp(const std::string& path);  // a whole (small) file; "" when absent

// The process and its descendants (fork model: a child per connection).
std::vector<int> process_tree(int pid);

// Proportional set size in KiB (/proc/PID/smaps_rollup), summed over the tree: shared pages are
// divided among the processes that share them, so forked children are not counted twice.
double pss_kib(const std::vector<int>& pids);

}  // namespace connperf::diag
