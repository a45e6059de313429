#include "load/connect.h"

#include "load/objects.h"


#include "loop/clock.h"

namespace connperf::load {

std::vector<std::string> Targets::requests() const {
  std::vector<std::string> out;
  if (request == RequestKind::Http && !objects.empty()) {
    std::vector<std::string> hosts;
    for (const Target& t : targets) hosts.push_back(t.name);
    return object_requests(hosts, objects);
  }
  for (const Target& t : targets) out.push_back(proto::request_bytes(request, t.name, text));
  return out;
}

Failure failure_of(const net::Result& r) noexcept { return {stats::error_kind(r.err), r.sys_errno}; }

Failure connect_failure(int fd) noexcept {
  const net::Result r = net::pending_error(fd);
  if (r.ok()) return {stats::ErrorKind::ClosedEarly, 0};
  return failure_of(r);
}

const net::SockAddr* Connector::next_source(int family) noexcept {
  const auto& binds = targets_.binds;
  for (std::size_t tries = 0; tries < binds.size(); ++tries) {
    const net::SockAddr& a = binds[next_source_++ % binds.size()];
    if (a.family() == family) return &a;
  }
  return nullptr;  // none of this family (the command refuses such a run): the kernel chooses
}

net::Result Connector::open(std::uint16_t i, net::Fd& fd, std::uint64_t& t_connect, bool nodelay) {
  const net::SockAddr& to = targets_.proxy ? *targets_.proxy : targets_.targets[i].addr;
  net::Result r = net::tcp_socket(to.family());
  if (!r.ok()) return r;
  fd = net::Fd(static_cast<int>(r.value));
  if (nodelay) (void)net::set_nodelay(fd.get());
  if (!targets_.binds.empty()) {
    if (const net::SockAddr* src = next_source(to.family())) {
      (void)net::set_bind_address_no_port(fd.get());
      if (r = net::bind_to(fd.get(), *src); !r.ok()) return r;
    }
  }
  t_connect = loop::now_ns();
  r = net::connect_to(fd.get(), to);
  if (r.err == net::Err::InProgress) return {};
  return r;
}

std::string unusable_source(const Targets& targets) {
  for (const auto& a : targets.binds) {
    const net::Result s = net::tcp_socket(a.family());
    if (!s.ok()) continue;  // out of files: the run will say so
    net::Fd fd(static_cast<int>(s.value));
    (void)net::set_bind_address_no_port(fd.get());
    if (const net::Result r = net::bind_to(fd.get(), a); !r.ok())
      return "--bind " + a.host_string() + ": cannot bind (" + net::errno_name(r.sys_errno) +
             ": " + net::errno_text(r.sys_errno) + ")";
  }
  return "";
}

}  // namespace connperf::load
