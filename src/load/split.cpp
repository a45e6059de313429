#include "load/split.h"

#include "loop/worker_pool.h"

namespace connperf::load {

using loop::share;

std::vector<net::SockAddr> share_binds(const std::vector<net::SockAddr>& binds, unsigned parts,
                                       unsigned index) {
  std::vector<net::SockAddr> out;
  for (std::size_t k = index; k < binds.size(); k += parts) out.push_back(binds[k]);
  return out;
}

namespace {
template <typename Spec>
void share_sources(Spec& s, unsigned parts, unsigned index) {
  if (!s.binds.empty()) s.binds = share_binds(s.binds, parts, index);
}
}  // namespace

CrrSpec share_of(const CrrSpec& spec, unsigned parts, unsigned index) {
  CrrSpec s = spec;
  s.concurrency = static_cast<unsigned>(share(spec.concurrency, parts, index));
  s.count = share(spec.count, parts, index);
  s.rate = spec.rate / parts;
  share_sources(s, parts, index);
  return s;
}

RrSpec share_of(const RrSpec& spec, unsigned parts, unsigned index) {
  RrSpec s = spec;
  s.connections = static_cast<unsigned>(share(spec.connections, parts, index));
  s.count = share(spec.count, parts, index);
  s.rate = spec.rate / parts;
  share_sources(s, parts, index);
  return s;
}

CcSpec share_of(const CcSpec& spec, unsigned parts, unsigned index) {
  CcSpec s = spec;
  s.count = share(spec.count, parts, index);
  s.ramp = spec.ramp / parts;
  share_sources(s, parts, index);
  return s;
}

}  // namespace connperf::load
