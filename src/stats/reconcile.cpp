#include "stats/reconcile.h"

#include <fmt/format.h>

#include "stats/printers.h"

namespace connperf::stats {

ClientSide ClientSide::of(const nlohmann::json& summary) {
  const auto count = [&summary](const char* a, const char* b) {
    if (summary.contains(a)) return summary[a].get<std::uint64_t>();
    return summary.value(b, std::uint64_t{0});
  };
  return {count("started", "attempted"), count("completed", "established")};
}

std::int64_t signed_difference(std::uint64_t a, std::uint64_t b) noexcept {
  return static_cast<std::int64_t>(a) - static_cast<std::int64_t>(b);
}

ListenerSnapshot server_counts_of(const nlohmann::json& summary) {
  const auto n = [&summary](const char* key) { return summary.value(key, std::uint64_t{0}); };
  ListenerSnapshot s;
  s.accepted = n("accepted");
  s.requests = n("requests");
  s.rst = n("rst");
  s.fin = n("fin");
  s.closed_by_server = n("closed_by_server");
  s.errors = n("errors");
  if (const auto t = summary.find("tls"); t != summary.end() && t->is_object()) {  // --tls
    s.tls_full = t->value("full", std::uint64_t{0});
    s.tls_resumed = t->value("resumed", std::uint64_t{0});
    s.tls_failed = t->value("failed", std::uint64_t{0});
  }
  return s;
}

namespace {

struct Row {
  const char* what;     // "started / accepted"
  const char* name;     // key in differences
  std::uint64_t client;
  std::uint64_t server;
};

}  // namespace

nlohmann::json reconcile(std::string_view command, const nlohmann::json& client_summary,
                         const ListenerSnapshot& server, std::uint64_t open_now) {
  const ClientSide c = ClientSide::of(client_summary);
  std::vector<Row> rows;
  if (command == "rr") {
    rows.push_back({"requests / requests", "requests_not_counted_at_server", c.completed,
                    server.requests});
  } else if (command == "cc") {
    rows.push_back({"attempted / accepted", "started_not_accepted", c.started, server.accepted});
    rows.push_back(
        {"established / accepted", "established_not_accepted", c.completed, server.accepted});
  } else {
    rows.push_back({"started / accepted", "started_not_accepted", c.started, server.accepted});
    rows.push_back({"completed / rst+fin", "completed_not_closed_at_server", c.completed,
                    server.rst + server.fin});
  }
  // --tls: every handshake the client made, the server made too (and counted it full or
  // resumed alike: checked by the tests, not here).
  const auto tls = client_summary.find("tls");
  const bool with_tls = tls != client_summary.end() && tls->is_object();
  if (with_tls)
    rows.push_back({"tls handshakes", "handshakes_not_counted_at_server",
                    tls->value("full", std::uint64_t{0}) + tls->value("resumed", std::uint64_t{0}),
                    server.tls_full + server.tls_resumed});
  nlohmann::json j;
  j["client"] = {{"started", c.started},
                 {"completed", c.completed},
                 {"errors", client_summary.value("errors", nlohmann::json::object())}};
  j["server"] = server_counts_json(server, open_now);
  if (with_tls) {
    j["client"]["tls"] = *tls;
    j["server"]["tls"] = server_tls_json(server);
  }
  j["rows"] = nlohmann::json::array();
  j["differences"] = nlohmann::json::object();
  for (const Row& r : rows) {
    const std::int64_t d = signed_difference(r.client, r.server);
    j["rows"].push_back({{"what", r.what}, {"client", r.client}, {"server", r.server},
                         {"difference", d}});
    j["differences"][r.name] = d;
  }
  return j;
}

std::string reconcile_text(const nlohmann::json& r, std::string_view source) {
  std::string out = fmt::format("\nclient vs server ({}, its counts over this run)\n", source);
  out += fmt::format("  {:<24}{:>14}{:>14}{:>12}\n", "", "client", "server", "difference");
  for (const auto& row : r["rows"]) {
    const auto d = row["difference"].get<std::int64_t>();
    const std::string diff = d < 0 ? "-" + format_count(static_cast<std::uint64_t>(-d))
                                   : format_count(static_cast<std::uint64_t>(d));
    out += fmt::format("  {:<24}{:>14}{:>14}{:>12}\n", row["what"].get<std::string>(),
                       format_count(row["client"].get<std::uint64_t>()),
                       format_count(row["server"].get<std::uint64_t>()), diff);
  }
  const nlohmann::json& s = r["server"];
  out += fmt::format(
      "  server: rst {}, fin {}, closed by server {}, errors {}, requests {}, open now {}\n",
      format_count(s["rst"]), format_count(s["fin"]), format_count(s["closed_by_server"]),
      format_count(s["errors"]), format_count(s["requests"]), format_count(s["active"]));
  bool any = false;
  for (const auto& [name, d] : r["differences"].items()) any = any || d.get<std::int64_t>() != 0;
  if (any)
    out += "  a positive difference: the client counted more than reached the server (lost on "
           "the way, or timed out); negative: the server also served someone else\n";
  return out;
}

}  // namespace connperf::stats
