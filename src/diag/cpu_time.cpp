#include "diag/cpu_time.h"

#include <sys/resource.h>

#include <array>
#include <charconv>

#include "diag/process.h"

namespace connperf::diag {

namespace {

std::uint64_t timeval_us(const timeval& tv) noexcept {
  return static_cast<std::uint64_t>(tv.tv_sec) * 1'000'000 + static_cast<std::uint64_t>(tv.tv_usec);
}

std::uint64_t after_minus(std::uint64_t later, std::uint64_t earlier) noexcept {
  return later >= earlier ? later - earlier : 0;
}

double share_pct(std::uint64_t part, std::uint64_t total) noexcept {
  return total ? 100.0 * static_cast<double>(part) / static_cast<double>(total) : 0;
}

}  // namespace

CpuTime CpuTime::operator-(const CpuTime& earlier) const noexcept {
  return {after_minus(user_us, earlier.user_us), after_minus(sys_us, earlier.sys_us)};
}

CpuTime read_cpu_time() noexcept {
  CpuTime t;
  for (const int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage ru{};
    if (::getrusage(who, &ru) != 0) continue;
    t.user_us += timeval_us(ru.ru_utime);
    t.sys_us += timeval_us(ru.ru_stime);
  }
  return t;
}

HostCpu HostCpu::operator-(const HostCpu& earlier) const noexcept {
  return {after_minus(busy, earlier.busy), after_minus(idle, earlier.idle),
          after_minus(steal, earlier.steal)};
}

double HostCpu::busy_pct() const noexcept { return share_pct(busy, total()); }
double HostCpu::steal_pct() const noexcept { return share_pct(steal, total()); }

std::optional<HostCpu> parse_proc_stat(std::string_view text) {
  const std::size_t at = text.rfind("cpu ", 0) == 0 ? 0 : text.find("\ncpu ");
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view line = text.substr(at + (text[at] == '\n' ? 5 : 4));
  line = line.substr(0, line.find('\n'));
  // user nice system idle iowait irq softirq steal [guest guest_nice]
  std::array<std::uint64_t, 8> v{};
  std::size_t n = 0;
  for (const char* p = line.data(), *end = p + line.size(); n < v.size(); ++n) {
    while (p < end && *p == ' ') ++p;
    const auto [next, ec] = std::from_chars(p, end, v[n]);
    if (ec != std::errc{}) break;
    p = next;
  }
  if (n < 4) return std::nullopt;  // user nice system idle at least (older kernels stop early)
  return HostCpu{v[0] + v[1] + v[2] + v[5] + v[6], v[3] + v[4], v[7]};
}

std::optional<HostCpu> read_host_cpu() { return parse_proc_stat(slurp("/proc/stat")); }

}  // namespace connperf::diag
