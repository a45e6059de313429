// libFuzzer target: loop::parse_cpu_list, the parser of --cpus: a list or a CpuListError naming
// the flag; a list is not empty, in range, without repeats, and survives format → parse as a set.
#include <algorithm>
#include <string>

#include "loop/cpus.h"
#include "split.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  using connperf::fuzz::check;
  try {
    std::vector<unsigned> cpus = connperf::loop::parse_cpu_list(in);
    check(!cpus.empty(), "an empty list parsed");
    check(std::all_of(cpus.begin(), cpus.end(),
                      [](unsigned c) { return c <= connperf::loop::kMaxCpu; }),
          "a CPU past kMaxCpu");
    std::vector<unsigned> again =
        connperf::loop::parse_cpu_list(connperf::loop::format_cpu_list(cpus));
    std::sort(cpus.begin(), cpus.end());
    check(std::adjacent_find(cpus.begin(), cpus.end()) == cpus.end(), "a CPU twice");
    check(again == cpus, "format then parse changed the set");
  } catch (const connperf::loop::CpuListError& e) {
    check(std::string_view(e.what()).starts_with("--cpus: "), "error does not name the flag");
  }
  return 0;
}
