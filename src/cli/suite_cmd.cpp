// `connperf suite rfc9411`: its flags, made into run/suite.h's plan — the target each load runs
// against (or the lab whose client namespace it runs in, with a server in the lab's server
// namespace for the whole suite).
#include <sstream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "proto/object.h"
#include "run/suite.h"

namespace connperf::cli {

namespace {

// RFC 9411 section 4.3.4's durations: the sustain phase at least 300 s (ramps: the RFC leaves
// them to the tester; a minute each lets a device's tables settle).
constexpr run::SuiteSettings kRfcDurations{"60", "300", "60", "10", ""};

std::vector<std::string> names_in(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  for (std::string name; std::getline(in, name, ',');) out.push_back(name);
  return out;
}

std::vector<run::SuiteTest> chosen_tests(const SuiteOptions& o) {
  std::vector<run::SuiteTest> all = run::rfc9411_tests(o.connections, o.rr_connections, o.tls);
  if (o.tests.empty()) return all;
  std::vector<run::SuiteTest> out;
  for (const std::string& name : names_in(o.tests)) {
    const auto it = std::find_if(all.begin(), all.end(), [&](const auto& t) {
      return t.name == name || t.section == name;
    });
    if (it == all.end())
      throw UsageError("--tests: '" + name + "' is none of cps, throughput, latency, concurrency");
    if (!it->share_of.empty() && it->share_needed && std::none_of(out.begin(), out.end(), [&](const auto& t) {
          return t.name == it->share_of;
        }))
      throw UsageError("--tests: " + name + " runs at a share of " + it->share_of +
                       "'s maximum: name " + it->share_of + " before it");
    out.push_back(*it);
  }
  return out;
}

run::SuiteSettings settings(const SuiteOptions& o) {
  parse_seconds("--max-p99", o.max_p99);
  if (o.rfc_durations) {
    run::SuiteSettings rfc = kRfcDurations;
    rfc.max_p99 = o.max_p99;
    return rfc;
  }
  for (const auto& [flag, value] : {std::pair{"--ramp-up", &o.ramp_up}, {"--sustain", &o.sustain},
                                    {"--ramp-down", &o.ramp_down}, {"--search-step", &o.search_step}})
    if (parse_seconds(flag, *value) <= 0) throw UsageError(std::string(flag) + ": more than 0");
  return {o.ramp_up, o.sustain, o.ramp_down, o.search_step, o.max_p99};
}

// The load's command line with where it runs: the target (and the lab's client namespace).
run::Args placed(run::Args args, const run::Args& where, const SuiteOptions& o) {
  args.insert(args.begin() + 1, where.begin(), where.end());
  if (args[0] == "cc") return args;
  if (std::find(args.begin(), args.end(), "-t") == args.end())
    args.insert(args.begin() + 1, {"-t", std::to_string(o.threads)});
  if (!o.objects.empty()) args.insert(args.end(), {"--object", o.objects});
  return args;
}

// --objects' sizes, each by its name ("1k": its path, and the file a static server needs).
std::vector<std::string> sizes_of(const std::string& objects) {
  proto::ObjectSet set;
  if (const std::string why = proto::parse_object_set(objects, true, set); !why.empty())
    throw UsageError("--objects: " + why);
  std::vector<std::string> names;
  for (const std::uint64_t size : set.sizes) names.push_back(proto::object_name(size));
  return names;
}

// The sizes as server --body takes them (the lab's server serves what the loads ask).
std::string body_of(const std::string& objects) {
  std::string body;
  for (const std::string& name : sizes_of(objects)) body += (body.empty() ? "" : ",") + name;
  return body;
}

// The target answers before the suite starts: three connections, each with its request, and
// with --objects one for each size (one thread asks for them in turn).
void probe(const run::SuitePlan& plan, const SuiteOptions& o, const std::string& target,
           StopSignals& signals) {
  nlohmann::json doc;
  const std::size_t n = std::max<std::size_t>(3, o.objects.empty() ? 0 : sizes_of(o.objects).size());
  run::Args args{"crr", "-t", "1", "-n", std::to_string(n), "--timeout", "2s"};
  if (o.tls) args.push_back("--tls");
  run::Prepared p = plan.prepare(plan.place(args));
  p.plan.out = {};
  p.plan.out.silent = true;
  p.plan.out.keep = &doc;
  run::drive(*p.job, p.plan, signals);
  if (doc["summary"].value("completed", std::size_t{0}) != n)
    throw RunError(fmt::format(
        "suite: {} did not answer {} of {} requests: the suite needs an HTTP/1.1 server there "
        "answering GET /{}{} (connperf server, or nginx with a default page)",
        target, doc["summary"].value("completed", std::size_t{0}), n, o.objects.empty() ? "" : "SIZE",
        o.tls ? " over TLS" : ""));
}

}  // namespace

void add_suite(CLI::App& app, SuiteOptions& o) {
  CLI::App& c = *app.add_subcommand(
      "suite", "RFC 9411's tests in order against TARGET or a lab: each searches its maximum, "
               "runs in phases and is judged by the RFC's criteria; one JSON and one report");
  c.add_option("suite", o.suite, "the suite: rfc9411")->required()->check(CLI::IsMember({"rfc9411"}));
  c.add_option("target", o.target, "HOST:PORT of an HTTP/1.1 server answering GET / (or --lab)");
  c.add_option("--lab", o.lab, "run through lab NAME (`connperf lab up`): its server namespace "
                               "serves, its client namespace loads");
  c.add_flag("--tls", o.tls, "the HTTPS tests (7.6 to 7.9): every load speaks TLS (the target, or "
                             "the lab's server, too)");
  c.add_option("--objects", o.objects,
               "SIZE|LIST|mix:SIZE=W,...: the objects crr and rr ask for (--object); the target "
               "serves them as files named like 1k (RFC 9411: 1 to 64 KB for 7.2)");
  c.add_option("--tests", o.tests, "a subset, in order: cps,throughput,latency,concurrency");
  c.add_option("--ramp-up", o.ramp_up, "SECONDS each test's load rises")->type_name("SECONDS");
  c.add_option("--sustain", o.sustain, "SECONDS each test holds its load (its KPIs)")
      ->type_name("SECONDS");
  c.add_option("--ramp-down", o.ramp_down, "SECONDS each test's load falls")->type_name("SECONDS");
  c.add_option("--search-step", o.search_step, "SECONDS each step of a search lasts")
      ->type_name("SECONDS");
  c.add_option("--max-p99", o.max_p99, "a search step holds only when its p99 latency is at "
                                       "most T (a queue builds beyond it; 0: no bound)");
  c.add_flag("--rfc-durations", o.rfc_durations,
             "RFC 9411's durations: ramps 60 s, sustain 300 s, search steps 10 s");
  c.add_option("--connections", o.connections, "connections the concurrency test (7.5) holds")
      ->check(in_range(1u, 1'000'000u));
  add_concurrency_flag(c, o.rr_connections, "connections the throughput test (7.3) keeps busy",
                       100'000);
  add_threads_flag(c, o.threads, "worker threads of each load");
  c.add_option("-o,--output", o.html, "write the report page (HTML) to FILE");
  add_output_flags(c, o.out);
}

int run_suite(const SuiteOptions& o) {
  if (o.target.empty() == o.lab.empty()) throw UsageError("suite: give a TARGET or --lab NAME");
  if (!o.objects.empty()) {  // a bad spec is a usage error before anything; the sizes it needs
    const std::string sizes = body_of(o.objects);
    if (!o.out.quiet) fmt::print(o.out.human(), "suite: the target serves GET /SIZE for {}\n", sizes);
  }
  run::SuitePlan plan;
  plan.tests = chosen_tests(o);
  plan.settings = settings(o);
  plan.html = o.html;
  StopSignals signals;
  std::unique_ptr<server::ServerEngine> srv;
  run::Args where{o.target};
  if (!o.lab.empty()) {
    const lab::Topology t{o.lab};
    if (lab::existing(t.name).size() != 3) throw RunError("lab " + t.name + " is not up");
    ServerOptions so;
    so.netns = t.server_ns();
    so.listen = {std::string(lab::Topology::kServer) + (o.tls ? ":8443" : ":8080")};
    so.tls.on = o.tls;
    if (!o.objects.empty()) so.body = body_of(o.objects);
    srv = server::make_server(server_spec(so));
    srv->open();
    srv->start();
    where = {"--netns", t.client_ns(), srv->addresses().front().to_string()};
  }
  const std::string target = where.back();
  plan.place = [&](const run::Args& a) { return placed(a, where, o); };
  plan.prepare = [](const run::Args& a) { return prepare_load(a, false); };
  plan.search = [&](const run::Args& a) { return prepare_search(a, signals); };
  plan.config = {{"suite", o.suite}, {"target", target}, {"lab", o.lab.empty() ? nlohmann::json() : nlohmann::json(o.lab)},
                 {"phases", {{"ramp_up", plan.settings.ramp_up}, {"sustain", plan.settings.sustain},
                             {"ramp_down", plan.settings.ramp_down}, {"search_step", plan.settings.search_step},
                             {"max_p99", plan.settings.max_p99}}},
                 {"threads", o.threads}, {"tls", o.tls},
                 {"objects", o.objects.empty() ? nlohmann::json() : nlohmann::json(o.objects)}};
  probe(plan, o, target, signals);
  const int code = run::run_suite(plan, o.out.settings(), signals);
  if (srv) {
    srv->stop();
    srv->join();
  }
  return code;
}

}  // namespace connperf::cli
