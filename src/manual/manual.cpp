#include "manual/manual.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <utility>

#include <fmt/format.h>


namespace connperf::manual {

namespace {

// What --help lists: hidden options and subcommands (no group) are left out, as there.
std::vector<const CLI::Option*> listed_options(const CLI::App& app, bool positional) {
  std::vector<const CLI::Option*> out;
  for (const CLI::Option* o : app.get_options())
    if (!o->get_group().empty() && o->nonpositional() != positional) out.push_back(o);
  return out;
}

std::vector<const CLI::App*> listed_subcommands(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); });
}

std::vector<std::string> flag_names(const CLI::Option& o) {
  std::vector<std::string> names;
  for (const std::string& s : o.get_snames()) names.push_back("-" + s);
  for (const std::string& l : o.get_lnames()) names.push_back("--" + l);
  return names;
}

// The app's description is "connperf VERSION — what it does"; a page's NAME line wants the rest.
std::string what_it_does(const CLI::App& app) {
  const std::string& d = app.get_description();
  const std::size_t dash = d.find("— ");
  return dash == std::string::npos ? d : d.substr(dash + std::string_view("— ").size());
}

// One option as --help prints it (the same formatter): name and type/default in bold and roman,
// the help text indented below.
void put_option(std::string& out, const CLI::Option& o, bool positional) {
  const CLI::Formatter f;
  out += ".TP\n\\fB" + roff_escape(f.make_option_name(&o, positional)) + "\\fR" +
         roff_escape(f.make_option_opts(&o)) + "\n" + roff_escape(f.make_option_desc(&o)) + "\n";
}

void put_options(std::string& out, const CLI::App& app) {
  for (const CLI::Option* o : listed_options(app, true)) put_option(out, *o, true);
  for (const CLI::Option* o : listed_options(app, false)) put_option(out, *o, false);
}

// "connperf crr [OPTIONS] targets..." for the SYNOPSIS.
std::string synopsis(const CLI::App& app, const std::string& path) {
  std::string line = "\\fB" + roff_escape(path) + "\\fR [\\fIOPTIONS\\fR]";
  for (const CLI::Option* o : listed_options(app, true)) {
    const bool many = o->get_expected_max() == CLI::detail::expected_max_vector_size;
    const std::string arg = "\\fI" + roff_escape(o->get_name(true)) + "\\fR" + (many ? "..." : "");
    line += o->get_required() ? " " + arg : " [" + arg + "]";
  }
  return line + "\n.br\n";
}

void put_header(std::string& out, const std::string& name, const std::string& what) {
  std::string title = name;
  for (char& ch : title) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  out += fmt::format(".TH \"{}\" \"1\" \"\" \"connperf {}\" \"User Commands\"\n.nh\n.ad l\n",
                     title, CONNPERF_VERSION);
  out += ".SH NAME\n" + roff_escape(name) + " \\- " + roff_escape(what) + "\n";
}

void put_footer(std::string& out, const std::string& see_also) {
  out +=
      ".SH EXIT STATUS\n.TP\n0\nran as asked\n.TP\n1\ncould not run (bind failed, target "
      "unresolvable, ...) or nothing completed at all\n.TP\n2\nusage error\n.TP\n3\na finished "
      "run missed its criteria (\\-\\-max\\-error\\-rate, \\-\\-criteria)\n";
  out += ".SH SEE ALSO\n" + see_also + "\n";
}

}  // namespace

std::string roff_escape(std::string_view text) {
  std::string out;
  for (const char ch : text) {
    if (ch == '\\')
      out += "\\e";
    else if (ch == '-')
      out += "\\-";
    else
      out += ch;
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
  return out;
}

std::vector<std::string> enum_values(const CLI::Option& option) {
  const std::string type = option.get_type_name();
  const std::size_t open = type.find(":{");
  const std::size_t close = type.find('}', open);
  std::vector<std::string> values;
  if (open == std::string::npos || close == std::string::npos) return values;
  const std::string list = type.substr(open + 2, close - open - 2);
  for (std::size_t at = 0; at <= list.size();) {
    const std::size_t comma = std::min(list.find(',', at), list.size());
    if (comma > at) values.push_back(list.substr(at, comma - at));
    at = comma + 1;
  }
  return values;
}

std::string main_page(const CLI::App& app) {
  std::string out;
  put_header(out, "connperf", what_it_does(app));
  out += ".SH SYNOPSIS\n\\fBconnperf\\fR \\fISUBCOMMAND\\fR [\\fIOPTIONS\\fR] [\\fIARGS\\fR]\n"
         ".br\n\\fBconnperf \\-\\-version\\fR\n";
  out += ".SH DESCRIPTION\n" + roff_escape(app.get_description()) +
         "\n.PP\n\\fBconnperf\\fR \\fISUBCOMMAND\\fR \\fB\\-\\-help\\fR lists the flags of a "
         "subcommand with their defaults; each has its own page.\n.SH SUBCOMMANDS\n";
  std::string see_also;
  for (const CLI::App* sub : listed_subcommands(app)) {
    const std::string page = "\\fBconnperf\\-" + roff_escape(sub->get_name()) + "\\fR(1)";
    out += ".TP\n" + page + "\n" + roff_escape(sub->get_description()) + "\n";
    see_also += (see_also.empty() ? "" : ",\n") + page;
  }
  out += ".SH OPTIONS\n";
  put_options(out, app);
  out += ".SH FILES\n.TP\n\\fI../lib/connperf/connperf_mpi.so\\fR (from the binary's directory)\n"
         "The MPI module, loaded only when an MPI launcher (mpirun) started connperf.\n";
  put_footer(out, see_also);
  return out;
}

std::string subcommand_page(const CLI::App& sub) {
  const std::string path = "connperf " + sub.get_name();
  std::string out;
  put_header(out, "connperf-" + sub.get_name(), sub.get_description());
  out += ".SH SYNOPSIS\n";
  const std::vector<const CLI::App*> actions = listed_subcommands(sub);
  if (actions.empty()) out += synopsis(sub, path);
  for (const CLI::App* a : actions) out += synopsis(*a, path + " " + a->get_name());
  out += ".SH DESCRIPTION\n" + roff_escape(sub.get_description()) + "\n.SH OPTIONS\n";
  put_options(out, sub);
  for (const CLI::App* a : actions) {
    out += ".SS \"" + roff_escape(path + " " + a->get_name()) + "\"\n" +
           roff_escape(a->get_description()) + "\n";
    put_options(out, *a);
  }
  put_footer(out, "\\fBconnperf\\fR(1)");
  return out;
}

namespace {

std::string joined(const std::vector<std::string>& words) {
  return fmt::format("{}", fmt::join(words, " "));
}

// Quoted for a shell: 'text' with each ' written as '\''.
std::string sh_quote(std::string_view text) {
  std::string out = "'";
  for (const char ch : text) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

// A command path ("crr", "lab up") and its options, for the completion scripts.
struct CompletionTarget {
  std::string path;
  const CLI::App* app;
};

std::vector<CompletionTarget> completion_targets(const CLI::App& app) {
  std::vector<CompletionTarget> out;
  for (const CLI::App* sub : listed_subcommands(app)) {
    out.push_back({sub->get_name(), sub});
    for (const CLI::App* a : listed_subcommands(*sub))
      out.push_back({sub->get_name() + " " + a->get_name(), a});
  }
  return out;
}

// The case arms of the bash script's lookup functions: flags per path, values per flag, and the
// flags that take a value of the user's own (then files are offered).
struct BashArms {
  std::string flags, values, takes_value, children;
};

void add_bash_arms(BashArms& arms, const CompletionTarget& t) {
  std::vector<std::string> flags;
  for (const CLI::Option* o : listed_options(*t.app, false)) {
    const std::vector<std::string> names = flag_names(*o);
    flags.insert(flags.end(), names.begin(), names.end());
    const std::vector<std::string> values = enum_values(*o);
    for (const std::string& n : names) {
      const std::string key = sh_quote(t.path + " " + n);
      if (!values.empty())
        arms.values += fmt::format("    {}) echo {} ;;\n", key, sh_quote(joined(values)));
      else if (o->get_type_size() != 0)
        arms.takes_value += fmt::format("    {}) return 0 ;;\n", key);
    }
  }
  arms.flags += fmt::format("    {}) echo {} ;;\n", sh_quote(t.path), sh_quote(joined(flags)));
  std::vector<std::string> children;
  for (const CLI::App* a : listed_subcommands(*t.app)) children.push_back(a->get_name());
  if (!children.empty())
    arms.children += fmt::format("    {}) echo {} ;;\n", sh_quote(t.path), sh_quote(joined(children)));
}

constexpr std::string_view kBashMain = R"bash(
# The word being completed, and the flag before it (also as --flag=value, split at '=' or not).
_connperf() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} prefix="" path children
  COMPREPLY=()
  if [[ $cur == = ]]; then cur=""
  elif [[ $prev == = && $COMP_CWORD -ge 3 ]]; then prev=${COMP_WORDS[COMP_CWORD-2]}
  elif [[ $cur == --*=* ]]; then prev=${cur%%=*} prefix="${cur%%=*}=" cur=${cur#*=}
  fi
  if ((COMP_CWORD == 1)); then
    COMPREPLY=($(compgen -W "$(_connperf_subcommands) --help --version" -- "$cur"))
    return 0
  fi
  path=${COMP_WORDS[1]}
  children=$(_connperf_children "$path")
  if [[ -n $children ]]; then
    if ((COMP_CWORD == 2)); then
      COMPREPLY=($(compgen -W "$children -h --help" -- "$cur"))
      return 0
    fi
    path="$path ${COMP_WORDS[2]}"
  fi
  local values
  values=$(_connperf_values "$path $prev")
  if [[ -n $values ]]; then
    COMPREPLY=($(compgen -P "$prefix" -W "$values" -- "$cur"))
    return 0
  fi
  _connperf_takes_value "$path $prev" && return 0  # the user's own value: files, by -o default
  [[ $cur == -* ]] && COMPREPLY=($(compgen -W "$(_connperf_flags "$path")" -- "$cur"))
  return 0
}
complete -o default -F _connperf connperf
)bash";

}  // namespace

std::string bash_completion(const CLI::App& app) {
  BashArms arms;
  std::vector<std::string> subs;
  for (const CLI::App* s : listed_subcommands(app)) subs.push_back(s->get_name());
  for (const CompletionTarget& t : completion_targets(app)) add_bash_arms(arms, t);
  std::string out =
      "# bash completion for connperf; generated by `connperf --generate-docs` from the flag\n"
      "# definitions that --help prints. Subcommands, flags, and the values of enum flags.\n";
  out += "_connperf_subcommands() { echo " + sh_quote(joined(subs)) + "; }\n";
  out += "_connperf_children() {\n  case $1 in\n" + arms.children + "  esac\n}\n";
  out += "_connperf_flags() {\n  case $1 in\n" + arms.flags + "  esac\n}\n";
  out += "_connperf_values() {\n  case $1 in\n" + arms.values + "  esac\n}\n";
  out += "_connperf_takes_value() {\n  case $1 in\n" + arms.takes_value + "  esac\n  return 1\n}\n";
  return out + std::string(kBashMain);
}

namespace {

// Text inside an _arguments spec's [description] or a _describe item: \ [ ] : escaped.
std::string zsh_escape(std::string_view text) {
  std::string out;
  for (const char ch : text) {
    if (ch == '\\' || ch == '[' || ch == ']' || ch == ':') out += '\\';
    out += ch;
  }
  return out;
}

std::string zsh_arguments(const CLI::App& app) {
  std::string out = "_arguments -s : \\\n";
  for (const CLI::Option* o : listed_options(app, false)) {
    const std::vector<std::string> values = enum_values(*o);
    std::string action;
    if (!values.empty())
      action = ":value:(" + joined(values) + ")";
    else if (o->get_type_size() != 0)
      action = ":value:_default";
    const std::string desc = "[" + zsh_escape(o->get_description()) + "]";
    for (const std::string& n : flag_names(*o)) out += "        " + sh_quote("*" + n + desc + action) + " \\\n";
  }
  return out + "        '*:argument:_default'";
}

std::string zsh_describe(const CLI::App& app, const std::string& tag) {
  std::string items;
  for (const CLI::App* s : listed_subcommands(app))
    items += "    " + sh_quote(zsh_escape(s->get_name()) + ":" + s->get_description()) + "\n";
  return "local -a items\n  items=(\n" + items + "  )\n  _describe -t " + tag + " " +
         sh_quote("connperf " + tag) + " items";
}

}  // namespace

std::string zsh_completion(const CLI::App& app) {
  std::string out =
      "#compdef connperf\n# zsh completion for connperf; generated by `connperf --generate-docs` "
      "from the flag\n# definitions that --help prints.\n\n_connperf() {\n";
  out += "  if (( CURRENT == 2 )); then\n  " + zsh_describe(app, "subcommand") +
         "\n    return\n  fi\n  local cmd=$words[2]\n  shift words; (( CURRENT-- ))\n  case $cmd in\n";
  for (const CLI::App* sub : listed_subcommands(app)) {
    if (listed_subcommands(*sub).empty()) continue;
    out += "    (" + sub->get_name() + ")\n      if (( CURRENT == 2 )); then\n  " +
           zsh_describe(*sub, "action") + "\n        return\n      fi\n" +
           "      cmd=\"$cmd $words[2]\"; shift words; (( CURRENT-- )) ;;\n";
  }
  out += "  esac\n  case $cmd in\n";
  for (const CompletionTarget& t : completion_targets(app))
    out += "    (" + sh_quote(t.path) + ")\n      " + zsh_arguments(*t.app) + " ;;\n";
  return out + "  esac\n}\n\n_connperf \"$@\"\n";
}

bool write_docs(const CLI::App& app, const std::string& dir) {
  std::vector<std::pair<std::string, std::string>> files = {
      {"man1/connperf.1", main_page(app)},
      {"bash-completion/connperf", bash_completion(app)},
      {"zsh/_connperf", zsh_completion(app)}};
  for (const CLI::App* sub : listed_subcommands(app))
    files.emplace_back("man1/connperf-" + sub->get_name() + ".1", subcommand_page(*sub));
  for (const auto& [name, text] : files) {
    const std::filesystem::path path = std::filesystem::path(dir) / name;
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) {
      fmt::print(stderr, "connperf: cannot write {}\n", path.string());
      return false;
    }
  }
  return true;
}

}  // namespace connperf::manual
