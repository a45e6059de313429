#include "proto/transform.h"

namespace connperf::proto {

void to_upper_ascii(char* data, std::size_t len) noexcept {
  for (std::size_t i = 0; i < len; ++i)
    if (data[i] >= 'a' && data[i] <= 'z') data[i] = static_cast<char>(data[i] - 'a' + 'A');
}

std::string stamp_prefix(std::time_t when) {
  char text[32] = "";  // ctime_r needs 26
  if (!::ctime_r(&when, text)) return "[?] ";
  std::string out = "[";
  out += text;
  if (!out.empty() && out.back() == '\n') out.pop_back();
  out += "] ";
  return out;
}

}  // namespace connperf::proto
