// The entry point of the MPI module (connperf_mpi.so), loaded with dlopen only under a launcher
// so that a plain connperf never links or loads libmpi.
#pragma once

#include <cstddef>

#include "ranks/comm.h"

extern "C" {
// Initializes MPI; a new Comm of the job, or nullptr with `error` filled.
using connperf_mpi_join_fn = connperf::ranks::Comm* (*)(char* error, std::size_t size);
// MPI_Finalize; the Comm is deleted.
using connperf_mpi_leave_fn = void (*)(connperf::ranks::Comm*);
}

inline constexpr const char* kMpiModule = "connperf_mpi.so";
// Where an installed module sits, relative to the binary's directory (CMakeLists.txt's install).
inline constexpr const char* kMpiModuleInstalled = "../lib/connperf/";
