#include "lab/lab.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <sstream>

#include <nlohmann/json.hpp>

namespace connperf::lab {

namespace {

std::vector<std::string> in_ns(const std::string& ns, std::vector<std::string> argv) {
  argv.insert(argv.begin(), {"ip", "netns", "exec", ns});
  return argv;
}

void must(const std::vector<std::string>& argv, const std::string& input = {}) {
  const CommandResult r = run_command(argv, input);
  if (r.code == 0) return;
  std::string what;
  for (const auto& a : argv) what += (what.empty() ? "" : " ") + a;
  std::string why = r.err.substr(0, r.err.find('\n'));
  throw LabError(fmt::format("`{}` failed: {}", what, why.empty() ? "exit " + std::to_string(r.code) : why));
}

// The value of `key=` in a settings comment.
template <typename T>
std::optional<T> setting(std::string_view comment, std::string_view key) {
  const std::string k = " " + std::string(key) + "=";
  const std::size_t at = comment.find(k);
  if (at == std::string_view::npos) return std::nullopt;
  const char* first = comment.data() + at + k.size();
  T v{};
  const auto [end, ec] = std::from_chars(first, comment.data() + comment.size(), v);
  if (ec != std::errc() || (end != comment.data() + comment.size() && *end != ' '))
    return std::nullopt;
  return v;
}

}  // namespace

std::string Topology::source(unsigned i) { return fmt::format("198.18.0.{}", 10 + i); }

std::string Topology::sources_spec(unsigned k) const {
  return k <= 1 ? source(0) : source(0) + "-" + source(k - 1);
}

void check_name(const std::string& name) {
  const bool ok = !name.empty() && name.size() <= 10 && name[0] >= 'a' && name[0] <= 'z' &&
                  std::all_of(name.begin(), name.end(), [](char c) {
                    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
                  });
  if (!ok) throw LabError("--name: '" + name + "' is not 1-10 of a-z and 0-9, starting with a letter");
}

void check_spec(const LabSpec& s) {
  check_name(s.name);
  if (s.sources < 1 || s.sources > Topology::kMaxSources)
    throw LabError(fmt::format("--sources: 1 to {}", Topology::kMaxSources));
  if (s.loss_pct < 0 || s.loss_pct > 100) throw LabError("--loss: a percentage, 0 to 100");
  if (s.reject_pct < 0 || s.reject_pct > 100) throw LabError("--reject: a percentage, 0 to 100");
}

std::string dut_ruleset(const LabSpec& s) {
  const Topology t{s.name};
  std::string r =
      fmt::format("table inet {} {{\n  comment \"{}\"\n", kLabTable, settings_comment(s));
  r += "  counter passed {}\n  counter lost {}\n  counter refused {}\n  counter rejected {}\n";
  r += "  chain forward {\n    type filter hook forward priority 0; policy accept;\n";
  if (s.loss_pct > 0)
    r += fmt::format("    numgen random mod 100000 < {} counter name lost drop\n",
                     static_cast<unsigned>(s.loss_pct * 1000));
  // A connection's first packet is the one its entry is not confirmed for yet (conntrack
  // confirms it on the way out): refused, reset and passed count connections, lost packets.
  if (s.limit > 0)  // before the count: a refused connection never enters it
    r += fmt::format("    tcp flags syn ct state new ct status ! confirmed ct count over {} "
                     "counter name refused reject with tcp reset\n", s.limit);
  if (s.reject_pct > 0)
    r += fmt::format("    tcp flags syn ct state new ct status ! confirmed numgen random mod "
                     "100000 < {} counter name rejected reject with tcp reset\n",
                     static_cast<unsigned>(s.reject_pct * 1000));
  r += "    ct state new ct status ! confirmed counter name passed\n  }\n";
  if (s.nat)
    r += fmt::format("  chain postrouting {{\n    type nat hook postrouting priority srcnat; "
                     "policy accept;\n    oifname \"{}-d1\" masquerade\n  }}\n", t.name);
  return r + "}\n";
}

std::string settings_comment(const LabSpec& s) {
  return fmt::format("connperf lab: sources={} nat={} loss={} limit={} reject={}", s.sources,
                     s.nat ? 1 : 0, s.loss_pct, s.limit, s.reject_pct);
}

std::optional<LabSpec> parse_settings(std::string_view comment) {
  if (!comment.starts_with("connperf lab:")) return std::nullopt;
  const auto sources = setting<unsigned>(comment, "sources");
  const auto nat = setting<unsigned>(comment, "nat");
  const auto loss = setting<double>(comment, "loss");
  const auto limit = setting<std::uint64_t>(comment, "limit");
  const auto reject = setting<double>(comment, "reject");
  if (!sources || !nat || !loss || !limit || !reject) return std::nullopt;
  LabSpec s;
  s.sources = *sources;
  s.nat = *nat != 0;
  s.loss_pct = *loss;
  s.limit = *limit;
  s.reject_pct = *reject;
  return s;
}

nlohmann::json settings_json(const LabSpec& s) {
  return {{"sources", s.sources}, {"nat", s.nat},   {"loss_pct", s.loss_pct},
          {"limit", s.limit},     {"reject_pct", s.reject_pct}};
}

std::string settings_text(const LabSpec& s) {
  return fmt::format("conntrack{}{}{}{}", s.nat ? ", NAT" : "",
                     s.loss_pct > 0 ? fmt::format(", {}% loss", s.loss_pct) : "",
                     s.limit ? fmt::format(", limit {}", s.limit) : "",
                     s.reject_pct > 0 ? fmt::format(", {}% reset", s.reject_pct) : "");
}

std::vector<std::vector<std::string>> up_commands(const LabSpec& s) {
  const Topology t{s.name};
  const std::string c = t.client_ns(), d = t.dut_ns(), v = t.server_ns();
  std::vector<std::vector<std::string>> cmds = {
      {"ip", "link", "add", t.name + "-c0", "netns", c, "type", "veth", "peer", "name",
       t.name + "-d0", "netns", d},
      {"ip", "link", "add", t.name + "-d1", "netns", d, "type", "veth", "peer", "name",
       t.name + "-s0", "netns", v},
      in_ns(c, {"ip", "addr", "add", std::string(Topology::kClient) + "/24", "dev", t.name + "-c0"}),
      in_ns(d, {"ip", "addr", "add", std::string(Topology::kDutClientSide) + "/24", "dev", t.name + "-d0"}),
      in_ns(d, {"ip", "addr", "add", std::string(Topology::kDutServerSide) + "/24", "dev", t.name + "-d1"}),
      in_ns(v, {"ip", "addr", "add", std::string(Topology::kServer) + "/24", "dev", t.name + "-s0"}),
  };
  for (unsigned i = 0; i < s.sources; ++i)
    cmds.push_back(in_ns(c, {"ip", "addr", "add", Topology::source(i) + "/24", "dev", t.name + "-c0"}));
  for (const auto& [ns, dev] : {std::pair{c, t.name + "-c0"}, {d, t.name + "-d0"},
                                {d, t.name + "-d1"}, {v, t.name + "-s0"}})
    cmds.push_back(in_ns(ns, {"ip", "link", "set", dev, "up"}));
  for (const auto& ns : t.namespaces()) cmds.push_back(in_ns(ns, {"ip", "link", "set", "lo", "up"}));
  cmds.push_back(in_ns(c, {"ip", "route", "add", "default", "via", Topology::kDutClientSide}));
  cmds.push_back(in_ns(v, {"ip", "route", "add", "default", "via", Topology::kDutServerSide}));
  cmds.push_back(in_ns(d, {"sysctl", "-q", "-w", "net.ipv4.ip_forward=1"}));
  return cmds;
}

std::vector<std::string> existing(const std::string& name) {
  const Topology t{name};
  const CommandResult r = run_command({"ip", "netns", "list"});
  std::vector<std::string> out;
  for (const auto& ns : t.namespaces()) {
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);)
      if (line.substr(0, line.find(' ')) == ns) out.push_back(ns);
  }
  return out;
}

bool down(const std::string& name) {
  check_name(name);
  const std::vector<std::string> there = existing(name);
  // Deleting a namespace takes its veth ends and nftables tables with it.
  for (const auto& ns : there) run_command({"ip", "netns", "del", ns});
  return !there.empty();
}

void up(const LabSpec& s) {
  check_spec(s);
  down(s.name);
  const Topology t{s.name};
  try {
    for (const auto& ns : t.namespaces()) must({"ip", "netns", "add", ns});
    for (const auto& cmd : up_commands(s)) must(cmd);
    must(in_ns(t.dut_ns(), {"nft", "-f", "-"}), dut_ruleset(s));
  } catch (const LabError&) {
    down(s.name);
    throw;
  }
}

}  // namespace connperf::lab
