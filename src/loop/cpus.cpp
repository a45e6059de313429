#include "loop/cpus.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <charconv>
#include <string>

#include <fmt/format.h>

namespace connperf::loop {

namespace {

unsigned cpu_number(std::string_view item, std::string_view text) {
  unsigned n = 0;
  const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), n);
  if (item.empty() || ec != std::errc{} || end != item.data() + item.size() || n > kMaxCpu)
    throw CpuListError(fmt::format("--cpus: '{}' is not a CPU list (e.g. 0, 0,2 or 0-3; CPUs "
                                   "0..{})",
                                   text, kMaxCpu));
  return n;
}

void add_cpu_range(std::string_view item, std::string_view text, std::vector<unsigned>& out) {
  const std::size_t dash = item.find('-');
  const unsigned first = cpu_number(item.substr(0, dash), text);
  const unsigned last =
      dash == std::string_view::npos ? first : cpu_number(item.substr(dash + 1), text);
  if (last < first)
    throw CpuListError(fmt::format("--cpus: '{}': the range {} runs backwards", text, item));
  for (unsigned c = first; c <= last; ++c)
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
}

bool set_thread_affinity(const cpu_set_t& set) noexcept {
  return ::pthread_setaffinity_np(::pthread_self(), sizeof set, &set) == 0;
}

}  // namespace

std::vector<unsigned> parse_cpu_list(std::string_view text) {
  std::vector<unsigned> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    add_cpu_range(text.substr(start, comma - start), text, out);
    if (comma == text.size()) return out;
    start = comma + 1;
  }
}

std::vector<unsigned> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<unsigned> out;
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return out;
  for (unsigned c = 0; c <= kMaxCpu; ++c)
    if (CPU_ISSET(c, &set)) out.push_back(c);
  return out;
}

std::vector<unsigned> checked_cpu_list(std::string_view text) {
  std::vector<unsigned> cpus = parse_cpu_list(text);
  const std::vector<unsigned> allowed = allowed_cpus();
  for (unsigned c : cpus)
    if (!std::binary_search(allowed.begin(), allowed.end(), c))
      throw CpuListError(fmt::format("--cpus: CPU {} is not one this process may run on ({})", c,
                                     format_cpu_list(allowed)));
  return cpus;
}

std::string format_cpu_list(std::vector<unsigned> cpus) {
  std::sort(cpus.begin(), cpus.end());
  std::string out;
  for (std::size_t i = 0; i < cpus.size();) {
    std::size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += j == i ? fmt::format("{}", cpus[i]) : fmt::format("{}-{}", cpus[i], cpus[j]);
    i = j + 1;
  }
  return out;
}

bool pin_this_thread(unsigned cpu) noexcept {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return set_thread_affinity(set);
}

bool pin_this_thread(const std::vector<unsigned>& cpus) noexcept {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (unsigned c : cpus) CPU_SET(c, &set);
  return set_thread_affinity(set);
}

}  // namespace connperf::loop
