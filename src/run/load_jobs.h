// crr's and rr's jobs over their engines (run/load_job.h's LoadJob): the interval line and
// object, the summary (crr adds the TIME_WAIT sockets to its targets), a warning when local ports
// run out. `spec` is this rank's share; `max_error_rate` < 0 means none. Command's thread only.
#pragma once

#include <memory>

#include <nlohmann/json.hpp>

#include "load/crr.h"
#include "load/rr.h"
#include "run/driver.h"
#include "run/job.h"

namespace connperf::run {

std::unique_ptr<Job> make_crr_job(load::CrrSpec spec);
std::unique_ptr<Job> make_rr_job(load::RrSpec spec);

// What the result's `config` says of a run of the job's whole `spec` (all ranks) lasting
// `duration` seconds (0: until -n), and the plan with the banner the table starts under.
nlohmann::json crr_config(const load::CrrSpec& spec, double duration);
nlohmann::json rr_config(const load::RrSpec& spec, double duration);
Plan crr_plan(const load::CrrSpec& spec, double duration, const OutputSettings& out);
Plan rr_plan(const load::RrSpec& spec, double duration, const OutputSettings& out);

// config.object (--object; crr, rr, cc): {"sizes": [bytes...], "mix", "weights" for a mix}.
void add_objects_config(nlohmann::json& j, const load::Targets& t);

// --tls: config.tls (the flags as given), and the banner's ", tls (resume 0.5)"; "" without.
nlohmann::json tls_config(const tls::ClientOptions& t);
std::string tls_banner(const tls::ClientOptions& t);

}  // namespace connperf::run
