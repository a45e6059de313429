// Client and server counts of one run side by side (DESIGN.md section 3, "Cross-check"): what
// `--server-stats` and `lab run` print and put in `reconciliation`, one key set for both
// (lab::reconcile adds the lab's name and the DUT's figures beside it). Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "stats/server_stats.h"

namespace connperf::stats {

// The client's attempts and successes from a crr/rr ("started", "completed") or cc
// ("attempted", "established") summary.
struct ClientSide {
  std::uint64_t started = 0;
  std::uint64_t completed = 0;
  static ClientSide of(const nlohmann::json& summary);
};

std::int64_t signed_difference(std::uint64_t a, std::uint64_t b) noexcept;

// A server's counts from its summary JSON (`/stats`, or the document's summary). Missing
// fields count 0.
ListenerSnapshot server_counts_of(const nlohmann::json& summary);

// The reconciliation of `command`'s (crr, rr, cc) summary with the server's counts over the
// same run (`server` = its counts at the end less those at the start; `open_now` its open
// connections at the end):
// {"client":{...}, "server":{...}, "rows":[{"what","client","server","difference"}],
//  "differences":{name: client - server}}. crr: started_not_accepted,
// completed_not_closed_at_server (completed vs rst + fin: true for --close rst and fin alike);
// cc: started_not_accepted, established_not_accepted; rr: requests_not_counted_at_server.
nlohmann::json reconcile(std::string_view command, const nlohmann::json& client_summary,
                         const ListenerSnapshot& server, std::uint64_t open_now);
// The table a human reads; `source` names where the server's counts came from.
std::string reconcile_text(const nlohmann::json& reconciliation, std::string_view source);

}  // namespace connperf::stats
