#include "result/document.h"

#include <unistd.h>

#include <ctime>
#include <fstream>
#include <iostream>
#include <stdexcept>

namespace connperf::result {

namespace {

std::string utc_now_rfc3339() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}

}  // namespace

nlohmann::json document(std::string_view command, nlohmann::json config) {
  return {{"tool", "connperf"},
          {"version", CONNPERF_VERSION},
          {"command", command},
          {"started_at", utc_now_rfc3339()},
          {"host", host_name()},
          {"config", std::move(config)},
          {"intervals", nlohmann::json::array()},
          {"summary", nlohmann::json::object()}};
}

void write_json(const std::string& path, const nlohmann::json& doc) {
  if (path == "-") {
    std::cout << doc.dump(2) << std::endl;
    return;
  }
  std::ofstream out(path);
  out << doc.dump(2) << '\n';
  if (!out) throw std::runtime_error("cannot write JSON to " + path);
}

}  // namespace connperf::result
