#include "ranks/comm.h"

#include <dlfcn.h>
#include <signal.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <memory>
#include <stdexcept>

#include "ranks/mpi/plugin.h"

namespace connperf::ranks {

namespace {

class OneProcess final : public Comm {
 public:
  OneProcess() {
    char name[HOST_NAME_MAX + 1] = {};
    if (::gethostname(name, sizeof name) == 0) host_ = name;
  }
  unsigned rank() const noexcept override { return 0; }
  unsigned size() const noexcept override { return 1; }
  const std::string& host() const noexcept override { return host_; }
  void barrier() override {}
  void sum(std::span<std::uint64_t>) override {}
  void min(std::span<std::uint64_t>) override {}
  void max(std::span<std::uint64_t>) override {}
  std::vector<std::string> gather(const std::string& row) override { return {row}; }
  [[noreturn]] void abort(int code) override { std::_Exit(code); }

 private:
  std::string host_;
};

struct Joined {
  Comm* comm = nullptr;
  connperf_mpi_leave_fn leave = nullptr;
};

Joined& joined() {
  static Joined j;
  return j;
}

// The module beside the binary (a build tree), else where `make install` and the .deb put it:
// BINDIR/../lib/connperf/ (relative, so an unpacked or relocated tree finds its own).
std::string module_path() {
  char exe[PATH_MAX] = {};
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  std::string dir = n > 0 ? std::string(exe, static_cast<std::size_t>(n)) : std::string();
  dir = dir.substr(0, dir.find_last_of('/') + 1);
  const std::string beside = dir + kMpiModule;
  if (::access(beside.c_str(), F_OK) == 0) return beside;
  return dir + kMpiModuleInstalled + kMpiModule;
}

}  // namespace

std::string launcher_variable(const std::function<const char*(const char*)>& getenv) {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"})
    if (const char* v = getenv(name); v && *v) return name;
  return {};
}

Comm& world() {
  static OneProcess one;
  return joined().comm ? *joined().comm : one;
}

bool join_job() {
  if (joined().comm) return true;
  const std::string variable = launcher_variable([](const char* n) { return std::getenv(n); });
  if (variable.empty()) return false;
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  const std::string path = module_path();
  // RTLD_GLOBAL: Open MPI's own components resolve their symbols in libmpi.
  void* module = ::dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (!module) {
    const char* why = ::dlerror();
    throw std::runtime_error("started by an MPI launcher (" + variable +
                             " is set) but the MPI module cannot be loaded (" +
                             (why ? why : path) +
                             "); install Open MPI (libopenmpi-dev to build the module, libopenmpi3 "
                             "to load it), or run without mpirun");
  }
  auto join = reinterpret_cast<connperf_mpi_join_fn>(::dlsym(module, "connperf_mpi_join"));
  auto leave = reinterpret_cast<connperf_mpi_leave_fn>(::dlsym(module, "connperf_mpi_leave"));
  if (!join || !leave) throw std::runtime_error(path + " is not connperf's MPI module");
  char error[256] = {};
  Comm* comm = join(error, sizeof error);
  if (!comm) throw std::runtime_error(std::string("cannot join the MPI job: ") + error);
  joined() = {comm, leave};
  return true;
}

void leave_job() noexcept {
  Joined& j = joined();
  if (!j.comm) return;
  j.leave(j.comm);
  j = {};
}

}  // namespace connperf::ranks
