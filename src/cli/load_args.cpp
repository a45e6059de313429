// A load given as its command line: `lab run`'s and `suite`'s loads, parsed as their own
// subcommands parse them.
#include "cli/commands.h"

namespace connperf::cli {

run::Prepared prepare_load(const std::vector<std::string>& load, bool lab) {
  const std::string name = (lab ? "lab run " : "") + load[0];
  CrrOptions crr;
  RrOptions rr;
  CcOptions cc;
  run::Prepared p;
  if (load[0] == "crr") {
    parse_as(name, add_crr, crr, load);
    check_modes({.search = crr.search.on, .server_stats = !crr.to.server_stats.empty(), .lab = lab});
    p = prepare_crr(crr, crr_spec(crr));
  } else if (load[0] == "rr") {
    parse_as(name, add_rr, rr, load);
    check_modes({.search = rr.search.on,
                 .sweep = !rr.sweep.empty(),
                 .server_stats = !rr.to.server_stats.empty(),
                 .lab = lab});
    p = prepare_rr(rr, rr_spec(rr));
  } else {
    parse_as(name, add_cc, cc, load);
    check_modes({.server_stats = !cc.to.server_stats.empty(), .lab = lab});
    p = prepare_cc(cc);
  }
  return p;
}

run::SearchPlan prepare_search(const std::vector<std::string>& args, StopSignals& signals) {
  if (args.at(0) == "crr") {
    CrrOptions o;
    parse_as(args[0], add_crr, o, args);
    return crr_search(o, crr_spec(o), signals);
  }
  RrOptions o;
  parse_as(args[0], add_rr, o, args);
  return rr_search(o, rr_spec(o), signals);
}

}  // namespace connperf::cli
