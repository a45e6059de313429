// The result document every subcommand writes (DESIGN.md section 4): its head and the one way it
// goes to a file or stdout. `report`, `merge` and `compare` read what this writes.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace connperf::result {

// {"tool","version","command","config","started_at","host","intervals":[],"summary":{}}
nlohmann::json document(std::string_view command, nlohmann::json config);

// Writes to FILE, or stdout for "-". Throws std::runtime_error when the file cannot be written.
void write_json(const std::string& path, const nlohmann::json& doc);

}  // namespace connperf::result
