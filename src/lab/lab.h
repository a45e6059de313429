// `connperf lab`: a device under test between a client and a server, built from network
// namespaces on this host. NAME-client carries the sources, NAME-dut forwards between two veth
// links with connection tracking on (the device: nftables counts, drops, refuses, resets, NATs),
// NAME-server holds the server. Addresses come from 198.18.0.0/15, the range RFC 2544 sets aside
// for benchmarking network devices; no route leads out of the three namespaces. The DUT's figures
// are read in-process: lab/dut_reader.h.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "lab/command.h"
#include "lab/dut.h"

namespace connperf::lab {

class LabError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct LabSpec {
  std::string name = "cplab";
  unsigned sources = 1;        // client source addresses, for --bind
  bool nat = false;            // the DUT masquerades: the server sees the DUT's address
  double loss_pct = 0;         // forwarded packets dropped at random, in percent
  std::uint64_t limit = 0;     // new connections refused (reset) past this many tracked; 0 = none
  double reject_pct = 0;       // new connections reset at random, in percent
};

// The nftables table of the DUT: its rules, named counters and, as its comment, the settings.
inline constexpr const char* kLabTable = "connperf_lab";

// The plan: names and addresses, the same for every lab of a name.
struct Topology {
  static constexpr const char* kClientNet = "198.18.0.0/24";
  static constexpr const char* kServerNet = "198.19.0.0/24";
  static constexpr const char* kDutClientSide = "198.18.0.1";
  static constexpr const char* kDutServerSide = "198.19.0.1";
  static constexpr const char* kClient = "198.18.0.2";
  static constexpr const char* kServer = "198.19.0.2";
  static constexpr unsigned kMaxSources = 200;  // 198.18.0.10 .. 198.18.0.209

  std::string name;
  std::string client_ns() const { return name + "-client"; }
  std::string dut_ns() const { return name + "-dut"; }
  std::string server_ns() const { return name + "-server"; }
  std::vector<std::string> namespaces() const { return {client_ns(), dut_ns(), server_ns()}; }
  static std::string source(unsigned i);  // the i-th client source address
  std::string sources_spec(unsigned k) const;  // "198.18.0.10-198.18.0.19", for --bind
};

// Throws LabError unless NAME is 1-10 of [a-z0-9], starting with a letter (interface names
// NAME-c0 must fit in 15 characters).
void check_name(const std::string& name);
void check_spec(const LabSpec& spec);

// The DUT's nftables ruleset, in `nft -f` syntax; its comment is settings_comment(spec).
std::string dut_ruleset(const LabSpec& spec);
// The settings as the table keeps them: "connperf lab: sources=1 nat=0 loss=3 limit=0 reject=0".
std::string settings_comment(const LabSpec& spec);
// The settings of a comment so made (the name left default); nullopt for any other text.
std::optional<LabSpec> parse_settings(std::string_view comment);
// The settings in a result: {"sources","nat","loss_pct","limit","reject_pct"}.
nlohmann::json settings_json(const LabSpec& spec);
// The device in a line a human reads: "conntrack, NAT, 3% loss, limit 100, 10% reset".
std::string settings_text(const LabSpec& spec);
// The commands that build the lab, in order (argv lists, for `ip`), after the namespaces exist.
std::vector<std::vector<std::string>> up_commands(const LabSpec& spec);

// Builds the lab (removing one of the same name first). Throws LabError saying which step
// failed, after removing what it made.
void up(const LabSpec& spec);
// Removes every namespace of the lab; true when something was there.
bool down(const std::string& name);
// The namespaces of the lab that exist now.
std::vector<std::string> existing(const std::string& name);

}  // namespace connperf::lab
