#include "stats/client_stats.h"

namespace connperf::stats {

const char* to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::Refused: return "refused";
    case ErrorKind::Timeout: return "timeout";
    case ErrorKind::Reset: return "reset";
    case ErrorKind::Unreachable: return "unreachable";
    case ErrorKind::AddrUnavailable: return "addr_unavailable";
    case ErrorKind::ClosedEarly: return "closed_early";
    case ErrorKind::BadResponse: return "bad_response";
    case ErrorKind::TlsFailed: return "tls_failed";
    case ErrorKind::TlsVerify: return "tls_verify";
    case ErrorKind::NotTls: return "not_tls";
    case ErrorKind::Status: return "status";
    case ErrorKind::BodyShort: return "body_short";
    case ErrorKind::BodyLong: return "body_long";
    case ErrorKind::Other:
    case ErrorKind::Count: break;
  }
  return "other";
}

ErrorKind error_kind(net::Err err) noexcept {
  switch (err) {
    case net::Err::Refused: return ErrorKind::Refused;
    case net::Err::TimedOut: return ErrorKind::Timeout;
    case net::Err::Reset: return ErrorKind::Reset;
    case net::Err::Unreachable: return ErrorKind::Unreachable;
    case net::Err::AddrUnavailable: return ErrorKind::AddrUnavailable;
    case net::Err::BrokenPipe:
    case net::Err::NotConnected: return ErrorKind::ClosedEarly;
    default: return ErrorKind::Other;
  }
}

std::uint64_t ClientSnapshot::error_total() const noexcept {
  std::uint64_t sum = 0;
  for (auto n : errors) sum += n;
  return sum;
}

ClientSnapshot& ClientSnapshot::operator+=(const ClientSnapshot& o) noexcept {
  started += o.started;
  completed += o.completed;
  in_flight += o.in_flight;
  body_bytes += o.body_bytes;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    if (objects[i].size == 0) objects[i].size = o.objects[i].size;
    objects[i].completed += o.objects[i].completed;
    objects[i].body_bytes += o.objects[i].body_bytes;
  }
  for (std::size_t i = 0; i < errors.size(); ++i) errors[i] += o.errors[i];
  for (std::size_t i = 0; i < other_errno.size(); ++i) other_errno[i] += o.other_errno[i];
  for (std::size_t i = 0; i < tls_alerts.size(); ++i) tls_alerts[i] += o.tls_alerts[i];
  connect_us.add(o.connect_us);
  response_us.add(o.response_us);
  total_us.add(o.total_us);
  ttfb_us.add(o.ttfb_us);
  ttlb_us.add(o.ttlb_us);
  tls_full += o.tls_full;
  tls_resumed += o.tls_resumed;
  tls_us.add(o.tls_us);
  return *this;
}

ClientSnapshot& ClientSnapshot::operator-=(const ClientSnapshot& earlier) noexcept {
  started = counter_delta(started, earlier.started);
  completed = counter_delta(completed, earlier.completed);
  body_bytes = counter_delta(body_bytes, earlier.body_bytes);
  for (std::size_t i = 0; i < objects.size(); ++i) {
    objects[i].completed = counter_delta(objects[i].completed, earlier.objects[i].completed);
    objects[i].body_bytes = counter_delta(objects[i].body_bytes, earlier.objects[i].body_bytes);
  }
  for (std::size_t i = 0; i < errors.size(); ++i)
    errors[i] = counter_delta(errors[i], earlier.errors[i]);
  for (std::size_t i = 0; i < other_errno.size(); ++i)
    other_errno[i] = counter_delta(other_errno[i], earlier.other_errno[i]);
  connect_us.subtract(earlier.connect_us);
  response_us.subtract(earlier.response_us);
  total_us.subtract(earlier.total_us);
  ttfb_us.subtract(earlier.ttfb_us);
  ttlb_us.subtract(earlier.ttlb_us);
  tls_full = counter_delta(tls_full, earlier.tls_full);
  tls_resumed = counter_delta(tls_resumed, earlier.tls_resumed);
  for (std::size_t i = 0; i < tls_alerts.size(); ++i)
    tls_alerts[i] = counter_delta(tls_alerts[i], earlier.tls_alerts[i]);
  tls_us.subtract(earlier.tls_us);
  return *this;
}

void ClientStats::error(ErrorKind kind, int sys_errno) noexcept {
  errors_[static_cast<std::size_t>(kind)].add();
  if (kind == ErrorKind::Other && sys_errno >= 0 && sys_errno < kMaxErrno)
    other_errno_[static_cast<std::size_t>(sys_errno)].add();
}

void ClientStats::set_object_sizes(const std::vector<std::uint64_t>& sizes) noexcept {
  for (std::size_t i = 0; i < sizes.size() && i < object_size_.size(); ++i)
    object_size_[i] = sizes[i];
}

void ClientStats::snapshot(ClientSnapshot& out) const noexcept {
  // Histograms first and counters last: a completion counted is then never missing its latency.
  out.connect_us = connect_us_;
  out.response_us = response_us_;
  out.total_us = total_us_;
  out.ttfb_us = ttfb_us_;
  out.ttlb_us = ttlb_us_;
  out.tls_us = tls_us_;
  out.started = started_.get();
  out.completed = completed_.get();
  out.body_bytes = body_bytes_.get();
  for (std::size_t i = 0; i < out.objects.size(); ++i)
    out.objects[i] = {object_size_[i], object_completed_[i].get(), object_bytes_[i].get()};
  out.tls_full = tls_full_.get();
  out.tls_resumed = tls_resumed_.get();
  out.in_flight = in_flight_.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < errors_.size(); ++i) out.errors[i] = errors_[i].get();
  for (std::size_t i = 0; i < other_errno_.size(); ++i) out.other_errno[i] = other_errno_[i].get();
  for (std::size_t i = 0; i < tls_alerts_.size(); ++i) out.tls_alerts[i] = tls_alerts_[i].get();
}

}  // namespace connperf::stats
