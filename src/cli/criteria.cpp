#include "cli/criteria.h"

#include "run/errors.h"

namespace connperf::cli {

void add_criteria_flag(CLI::App& c, std::string& spec, Judged what) {
  c.add_option("--criteria", spec,
               "PASS or FAIL (exit 3) by criteria, comma-separated: METRIC<VALUE (< <= > >=), "
               "e.g. errors<0.01%,resets<0.001%,p99.total<50ms" +
                   std::string(what == Judged::Cc ? "" : ",cps>=20000") +
                   "; 'rfc9411' adds RFC 9411's validation criteria (docs/rfc9411.md)")
      ->check(CLI::Validator(
          [what](std::string& s) -> std::string {
            try {
              run::parse_criteria(s, what);
            } catch (const run::UsageError& e) {
              return std::string(e.what()).substr(sizeof("--criteria: ") - 1);
            }
            return {};
          },
          "SPEC"));
}

}  // namespace connperf::cli
