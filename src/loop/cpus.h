// --cpus LIST: which CPUs the workers run on (like iperf3 -A and neper --pin-cpu). The list is
// parsed and checked against the process's allowed set before anything runs; a worker pins its
// own thread when it starts. Any thread.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace connperf::loop {

// A CPU list that cannot be parsed or names a CPU the process may not run on.
struct CpuListError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// The largest CPU number a list may name (the kernel's CPU_SETSIZE).
inline constexpr unsigned kMaxCpu = 1023;

// "0", "0,2", "0-3", "0-3,8-11": the CPUs in the order given, ranges ascending, duplicates kept
// once (at their first place). Throws CpuListError on anything else: an empty item, a reversed
// range, a number past kMaxCpu, a sign, spaces.
std::vector<unsigned> parse_cpu_list(std::string_view text);

// The CPUs this thread may run on (sched_getaffinity), ascending.
std::vector<unsigned> allowed_cpus();

// parse_cpu_list, then every CPU must be in allowed_cpus(); throws CpuListError naming the
// first that is not and the allowed set ("0-1").
std::vector<unsigned> checked_cpu_list(std::string_view text);

// "0-3,8": a list as the kernel writes it (Cpus_allowed_list), ascending.
std::string format_cpu_list(std::vector<unsigned> cpus);

// Pins the calling thread to `cpu`; false when the kernel refuses.
bool pin_this_thread(unsigned cpu) noexcept;
// Pins the calling thread to every CPU of `cpus` (a process model's children inherit it).
bool pin_this_thread(const std::vector<unsigned>& cpus) noexcept;

}  // namespace connperf::loop
