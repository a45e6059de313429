#include "diag/process.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

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

// With open(2) and read(2), not a stream: a file that cannot be opened (EMFILE in a server at its
// fd limit, reading /proc/stat at a tick) is "", and a failed ifstream's rdbuf() streamed into a
// stringstream is undefined behaviour under UBSan's vptr check (it aborted such a server).
std::string slurp(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
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
