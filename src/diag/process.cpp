#include "diag/process.h"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace connperf::diag {

std::string self_path() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  return std::string(buf, static_cast<std::size_t>(n));
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The process and its descendants (fork model: a child per connection).
std::vector<int> process_tree(int pid) {
  std::vector<int> out{pid};
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::string dir = fmt::format("/proc/{}/task", out[i]);
    DIR* d = ::opendir(dir.c_str());
    if (!d) continue;
    while (const dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.') continue;
      std::stringstream kids(slurp(dir + "/" + e->d_name + "/children"));
      for (int k; kids >> k;) out.push_back(k);
    }
    ::closedir(d);
  }
  return out;
}

// Proportional set size in KiB (/proc/PID/smaps_rollup), summed over the tree: shared pages are
// divided among the processes that share them, so forked children are not counted twice.
double pss_kib(const std::vector<int>& pids) {
  double total = 0;
  for (int pid : pids) {
    std::stringstream in(slurp(fmt::format("/proc/{}/smaps_rollup", pid)));
    for (std::string key; in >> key;)
      if (key == "Pss:") {
        double kib = 0;
        in >> kib;
        total += kib;
        break;
      }
  }
  return total;
}

}  // namespace connperf::diag
