// Man pages (roff) and shell completions built from the same CLI11 definitions that --help prints,
// so neither can drift from the flags: `connperf --generate-docs DIR` (hidden; run by the build)
// writes DIR/man1/connperf.1, one DIR/man1/connperf-SUB.1 per subcommand,
// DIR/bash-completion/connperf and DIR/zsh/_connperf. Called on the main thread before any run.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

namespace connperf::manual {

inline constexpr std::string_view kGenerateDocs = "--generate-docs";

// connperf(1) for the whole app, connperf-SUB(1) for one of its subcommands (with its actions).
std::string main_page(const CLI::App& app);
std::string subcommand_page(const CLI::App& sub);
std::string bash_completion(const CLI::App& app);
std::string zsh_completion(const CLI::App& app);
// Writes every page and both completions under `dir`; false (and one line on stderr) when it
// cannot write one.
bool write_docs(const CLI::App& app, const std::string& dir);

// The values an enum flag takes, read from its type as --help shows it ("TEXT:{rst,fin}" → rst,
// fin); empty when the flag is not an enum.
std::vector<std::string> enum_values(const CLI::Option& option);
// Text as roff prints it: backslashes and hyphens escaped, a leading '.' or '\'' made literal.
std::string roff_escape(std::string_view text);

}  // namespace connperf::manual
