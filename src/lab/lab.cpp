#include "lab/lab.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <sstream>

#include <nlohmann/json.hpp>

namespace connperf::lab {

namespace {

constexpr const char* kTable = "connperf_lab";

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

std::uint64_t number(std::string_view text) {
  std::uint64_t v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
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
  std::string r = fmt::format("table inet {} {{\n", kTable);
  r += "  counter passed {}\n  counter lost {}\n  counter refused {}\n  counter rejected {}\n";
  r += "  chain forward {\n    type filter hook forward priority 0; policy accept;\n";
  if (s.loss_pct > 0)
    r += fmt::format("    numgen random mod 100000 < {} counter name lost drop\n",
                     static_cast<unsigned>(s.loss_pct * 1000));
  if (s.limit > 0)  // before the count: a refused connection never enters it
    r += fmt::format("    tcp flags syn ct state new ct count over {} counter name refused "
                     "reject with tcp reset\n", s.limit);
  if (s.reject_pct > 0)
    r += fmt::format("    tcp flags syn ct state new numgen random mod 100000 < {} counter name "
                     "rejected reject with tcp reset\n", static_cast<unsigned>(s.reject_pct * 1000));
  r += "    ct state new counter name passed\n  }\n";
  if (s.nat)
    r += fmt::format("  chain postrouting {{\n    type nat hook postrouting priority srcnat; "
                     "policy accept;\n    oifname \"{}-d1\" masquerade\n  }}\n", t.name);
  return r + "}\n";
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

void count_states(const std::string& list, DutSample& out) {
  std::istringstream lines(list);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string proto, num, ttl, state;
    if (!(words >> proto >> num >> ttl >> state) || proto != "tcp") continue;
    if (state == "ESTABLISHED") ++out.established;
    else if (state == "CLOSE") ++out.close;
    else if (state == "TIME_WAIT") ++out.time_wait;
    else ++out.other;
  }
}

void add_stats(const std::string& stats, DutSample& out) {
  std::istringstream words(stats);
  for (std::string w; words >> w;) {
    const std::size_t eq = w.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = w.substr(0, eq);
    const std::uint64_t v = number(std::string_view(w).substr(eq + 1));
    if (key == "drop" || key == "early_drop" || key == "insert_failed") out.dropped += v;
  }
}

DutSample sample_dut(const std::string& name) {
  const Topology t{name};
  DutSample s;
  s.entries = number(run_command(in_ns(t.dut_ns(), {"conntrack", "-C"})).out);
  count_states(run_command(in_ns(t.dut_ns(), {"conntrack", "-L", "-p", "tcp"})).out, s);
  add_stats(run_command(in_ns(t.dut_ns(), {"conntrack", "-S"})).out, s);
  const CommandResult nft =
      run_command(in_ns(t.dut_ns(), {"nft", "-j", "list", "counters", "table", "inet", kTable}));
  const auto doc = nlohmann::json::parse(nft.out, nullptr, false);
  if (doc.is_object() && doc.contains("nftables"))
    for (const auto& item : doc["nftables"]) {
      if (!item.contains("counter")) continue;
      const auto& c = item["counter"];
      const std::uint64_t packets = c.value("packets", std::uint64_t{0});
      const std::string counter = c.value("name", "");
      if (counter == "passed") s.inserted = packets;  // new connections let through
      else if (counter == "lost") s.lost = packets;
      else if (counter == "refused") s.refused = packets;
      else if (counter == "rejected") s.rejected = packets;
      if (counter != "passed") s.nft_drops += packets;
    }
  return s;
}

}  // namespace connperf::lab
