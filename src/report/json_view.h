// Reading a result document written by any version: an absent or mistyped field reads as null
// (objects) or 0 (numbers), never as an exception. Pure.
#pragma once

#include <nlohmann/json.hpp>

namespace connperf::report {

// j[key], or null when j is not an object or has no such key.
inline const nlohmann::json& field(const nlohmann::json& j, const char* key) {
  static const nlohmann::json kNull;
  if (!j.is_object()) return kNull;
  const auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

// j[key] as a number, 0 when it is not one.
inline double number(const nlohmann::json& j, const char* key) {
  const nlohmann::json& v = field(j, key);
  return v.is_number() ? v.get<double>() : 0.0;
}

}  // namespace connperf::report
