// What the CPUs did during a run: this process's own CPU time (user and system, getrusage) and the
// host's busy and steal shares from /proc/stat (all CPUs, every process, a VM's steal). Pure
// parsers and differences plus two readers; read on the reporting thread at interval ticks only,
// never on a worker's path.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace connperf::diag {

// CPU time in microseconds: this process's threads, plus its children once reaped (the fork
// server model's connection processes, cc --processes).
struct CpuTime {
  std::uint64_t user_us = 0;
  std::uint64_t sys_us = 0;
  std::uint64_t total_us() const noexcept { return user_us + sys_us; }
  CpuTime operator-(const CpuTime& earlier) const noexcept;
};
CpuTime read_cpu_time() noexcept;

// The aggregate "cpu" line of /proc/stat, in clock ticks (USER_HZ), every CPU of the host.
struct HostCpu {
  std::uint64_t busy = 0;   // user + nice + system + irq + softirq (guest is inside user)
  std::uint64_t idle = 0;   // idle + iowait
  std::uint64_t steal = 0;  // time a hypervisor ran something else (0 on bare metal)
  std::uint64_t total() const noexcept { return busy + idle + steal; }
  HostCpu operator-(const HostCpu& earlier) const noexcept;  // a counter that went back: 0
  // Shares of total() in percent, 0..100; 0 when no tick passed.
  double busy_pct() const noexcept;
  double steal_pct() const noexcept;
};
// From the text of /proc/stat: its "cpu " line; nullopt when there is none.
std::optional<HostCpu> parse_proc_stat(std::string_view text);
std::optional<HostCpu> read_host_cpu();

}  // namespace connperf::diag
