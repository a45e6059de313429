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

std::string& remembered_command_line() {
  static std::string line;
  return line;
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}

}  // namespace

std::string shell_words(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) {
    if (!out.empty()) out += ' ';
    if (!w.empty() && w.find_first_of(" \t\"'\\$`*?;&|<>()") == std::string::npos) {
      out += w;
      continue;
    }
    out += '\'';
    for (char ch : w) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
    out += '\'';
  }
  return out;
}

void set_command_line(int argc, const char* const* argv) {
  std::vector<std::string> words{"connperf"};
  for (int i = 1; i < argc; ++i) words.emplace_back(argv[i]);
  remembered_command_line() = shell_words(words);
}

nlohmann::json document(std::string_view command, nlohmann::json config) {
  nlohmann::json doc = {{"tool", "connperf"},
                        {"version", CONNPERF_VERSION},
                        {"command", command},
                        {"started_at", utc_now_rfc3339()},
                        {"host", host_name()},
                        {"config", std::move(config)},
                        {"intervals", nlohmann::json::array()},
                        {"summary", nlohmann::json::object()}};
  if (!remembered_command_line().empty()) doc["command_line"] = remembered_command_line();
  return doc;
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
