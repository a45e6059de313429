#include "ranks/reduce.h"

#include <cstdio>
#include <cstdlib>
#include <limits>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace connperf::ranks {

namespace {

using stats::Histogram;

constexpr std::size_t kHistograms = 6;
constexpr std::uint64_t kNoMin = std::numeric_limits<std::uint64_t>::max();

Histogram* histograms(stats::ClientSnapshot& s, std::size_t i) {
  Histogram* all[kHistograms] = {&s.connect_us, &s.response_us, &s.total_us,
                                 &s.tls_us,     &s.ttfb_us,     &s.ttlb_us};
  return all[i];
}

}  // namespace

void sum(Comm& comm, stats::ClientSnapshot& s, std::span<std::uint64_t> extra) {
  if (comm.size() == 1) return;
  // Counters, then per histogram its buckets and sum; min and max reduce apart.
  std::vector<std::uint64_t> v;
  v.reserve(6 + 2 * s.objects.size() + s.errors.size() + s.other_errno.size() + extra.size() +
            kHistograms * (Histogram::kBuckets + 1));
  v.insert(v.end(), {s.started, s.completed, s.in_flight, s.tls_full, s.tls_resumed, s.body_bytes});
  for (const auto& o : s.objects) v.insert(v.end(), {o.completed, o.body_bytes});  // sizes: the same
  v.insert(v.end(), s.errors.begin(), s.errors.end());
  v.insert(v.end(), s.other_errno.begin(), s.other_errno.end());
  v.insert(v.end(), s.tls_alerts.begin(), s.tls_alerts.end());
  v.insert(v.end(), extra.begin(), extra.end());
  std::uint64_t mins[kHistograms], maxs[kHistograms];
  for (std::size_t h = 0; h < kHistograms; ++h) {
    const Histogram& hist = *histograms(s, h);
    for (std::size_t b = 0; b < Histogram::kBuckets; ++b) v.push_back(hist.bucket_count(b));
    v.push_back(hist.sum());
    mins[h] = hist.count() ? hist.min() : kNoMin;
    maxs[h] = hist.max();
  }
  comm.sum(v);
  comm.min(mins);
  comm.max(maxs);
  std::size_t at = 0;
  s.started = v[at++];
  s.completed = v[at++];
  s.in_flight = v[at++];
  s.tls_full = v[at++];
  s.tls_resumed = v[at++];
  s.body_bytes = v[at++];
  for (auto& o : s.objects) {
    o.completed = v[at++];
    o.body_bytes = v[at++];
  }
  for (auto& e : s.errors) e = v[at++];
  for (auto& e : s.other_errno) e = v[at++];
  for (auto& e : s.tls_alerts) e = v[at++];
  for (auto& e : extra) e = v[at++];
  std::vector<std::pair<std::size_t, std::uint64_t>> parts;
  for (std::size_t h = 0; h < kHistograms; ++h) {
    parts.clear();
    for (std::size_t b = 0; b < Histogram::kBuckets; ++b, ++at)
      if (v[at]) parts.emplace_back(b, v[at]);
    const std::uint64_t total = v[at++];
    *histograms(s, h) =
        Histogram::from_parts(parts, total, mins[h] == kNoMin ? 0 : mins[h], maxs[h]);
  }
}

int agree_ready(Comm& comm, int code, const std::string& message) {
  std::uint64_t failed[1] = {code != 0 ? 1u : 0u};
  comm.sum(failed);
  if (failed[0] == 0) return 0;
  // Rows: "CODE HOST\tMESSAGE" per rank; rank 0 names the first that failed.
  const auto rows = comm.gather(fmt::format("{} {}\t{}", code, comm.host(), message));
  std::uint64_t job_code[1] = {0};  // rank 0's answer; the others add 0
  if (comm.rank() == 0) {
    for (std::size_t r = 0; r < rows.size(); ++r) {
      const int c = std::atoi(rows[r].c_str());
      if (c == 0) continue;
      const std::size_t space = rows[r].find(' '), tab = rows[r].find('\t');
      fmt::print(stderr, "connperf: rank {} on {}: {}\n", r,
                 rows[r].substr(space + 1, tab - space - 1), rows[r].substr(tab + 1));
      job_code[0] = static_cast<std::uint64_t>(c);
      break;
    }
  }
  comm.sum(job_code);
  return static_cast<int>(job_code[0]);
}

// The job's totals under MPI: counts summed over ranks; reached when the slowest rank had all of
// its connections open, and only if every rank did.
load::CcTotals sum(Comm& comm, const load::CcTotals& own) {
  if (comm.size() == 1) return own;
  load::CcTotals t = own;
  load::CcCounts& c = t.counts;
  std::uint64_t extra[] = {c.open, c.lost, c.keepalives, c.closed, t.aborted};
  sum(comm, c.attempts, extra);
  sum(comm, c.requests);
  std::uint64_t slowest[2] = {t.reached_ns, t.all_reached ? 0u : 1u};
  comm.max(slowest);
  std::size_t at = 0;
  for (std::uint64_t* n : {&c.open, &c.lost, &c.keepalives, &c.closed, &t.aborted}) *n = extra[at++];
  t.reached_ns = slowest[0];
  t.all_reached = slowest[1] == 0;
  return t;
}

}  // namespace connperf::ranks
