// The MPI module: ranks::Comm over MPI_COMM_WORLD. Built only when CMake finds MPI, as a module
// that connperf loads with dlopen under a launcher. Waits poll with short sleeps, so a rank that
// waits for the others leaves the CPU to its load workers (MPI's own waits spin).
#include <mpi.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <ctime>

#include "ranks/mpi/plugin.h"

namespace {

using connperf::ranks::Comm;

void wait(MPI_Request& request) {
  int done = 0;
  const timespec nap{0, 100'000};
  for (;;) {
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done) return;
    nanosleep(&nap, nullptr);
  }
}

class MpiComm final : public Comm {
 public:
  MpiComm() {
    int r = 0, s = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    MPI_Comm_size(MPI_COMM_WORLD, &s);
    rank_ = static_cast<unsigned>(r);
    size_ = static_cast<unsigned>(s);
    char name[MPI_MAX_PROCESSOR_NAME] = {};
    int len = 0;
    MPI_Get_processor_name(name, &len);
    host_.assign(name, static_cast<std::size_t>(len));
  }
  unsigned rank() const noexcept override { return rank_; }
  unsigned size() const noexcept override { return size_; }
  const std::string& host() const noexcept override { return host_; }

  void barrier() override {
    MPI_Request request;
    MPI_Ibarrier(MPI_COMM_WORLD, &request);
    wait(request);
  }
  void sum(std::span<std::uint64_t> v) override { reduce(v, MPI_SUM); }
  void min(std::span<std::uint64_t> v) override { reduce(v, MPI_MIN); }
  void max(std::span<std::uint64_t> v) override { reduce(v, MPI_MAX); }

  std::vector<std::string> gather(const std::string& row) override {
    int len = static_cast<int>(row.size());
    std::vector<int> lens(rank_ == 0 ? size_ : 0), offsets(lens.size());
    MPI_Gather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
    int total = 0;
    for (std::size_t i = 0; i < lens.size(); ++i) {
      offsets[i] = total;
      total += lens[i];
    }
    std::string all(static_cast<std::size_t>(total), '\0');
    MPI_Gatherv(row.data(), len, MPI_CHAR, all.data(), lens.data(), offsets.data(), MPI_CHAR, 0,
                MPI_COMM_WORLD);
    std::vector<std::string> rows;
    for (std::size_t i = 0; i < lens.size(); ++i)
      rows.push_back(all.substr(static_cast<std::size_t>(offsets[i]),
                                static_cast<std::size_t>(lens[i])));
    return rows;
  }

  [[noreturn]] void abort(int code) override {
    MPI_Abort(MPI_COMM_WORLD, code);
    ::_exit(code);
  }

 private:
  void reduce(std::span<std::uint64_t> v, MPI_Op op) {
    MPI_Request request;
    MPI_Iallreduce(MPI_IN_PLACE, v.data(), static_cast<int>(v.size()), MPI_UINT64_T, op,
                   MPI_COMM_WORLD, &request);
    wait(request);
  }

  unsigned rank_ = 0, size_ = 1;
  std::string host_;
};

}  // namespace

extern "C" Comm* connperf_mpi_join(char* error, std::size_t size) {
  int provided = 0;
  if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
    std::snprintf(error, size, "MPI_Init failed");
    return nullptr;
  }
  return new MpiComm;
}

extern "C" void connperf_mpi_leave(Comm* comm) {
  delete comm;
  MPI_Finalize();
}
