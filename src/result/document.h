// The result document every subcommand writes (DESIGN.md section 4): its head and the one way it
// goes to a file or stdout. `report`, `merge` and `compare` read what this writes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace connperf::result {

// {"tool","version","command","command_line","started_at","host","config","intervals":[],
// "summary":{}}: started_at is now, RFC 3339 in UTC; host the machine's name; command_line the
// process's arguments as set_command_line was given them (absent when it never was).
nlohmann::json document(std::string_view command, nlohmann::json config);

// Remembers the process's arguments for every document written later: once, from main, before
// any thread starts. "connperf" stands for argv[0]; an argument with a space or a quote is
// quoted in single quotes, so the line can be pasted back into a shell.
void set_command_line(int argc, const char* const* argv);
std::string shell_words(const std::vector<std::string>& words);  // the joining rule, pure

// Writes to FILE, or stdout for "-". Throws std::runtime_error when the file cannot be written.
void write_json(const std::string& path, const nlohmann::json& doc);

}  // namespace connperf::result
