#include "run/conn_log.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <iterator>

#include <fmt/format.h>

#include "loop/clock.h"
#include "net/address.h"
#include "net/error.h"
#include "ranks/comm.h"
#include "run/errors.h"
#include "stats/format.h"

namespace connperf::run {

namespace {

constexpr std::size_t kConnLogBatch = 512;  // records taken from a ring at a time
constexpr auto kConnLogIdle = std::chrono::milliseconds(2);

// One record's fields, written as NDJSON (absent fields left out), a CSV row (absent: empty
// cells) or the CSV header (the names), so the three cannot disagree.
struct ConnLogFields {
  std::string& out;
  bool json;
  bool header;
  bool first = true;

  template <typename T>
  void put(const char* name, const T& value, bool present = true, bool quote = false) {
    if (json && !present) return;
    const char* sep = first ? (json ? "{" : "") : ",";
    first = false;
    if (json) {
      const char* q = quote ? "\"" : "";
      fmt::format_to(std::back_inserter(out), "{}\"{}\":{}{}{}", sep, name, q, value, q);
    } else if (header) {
      fmt::format_to(std::back_inserter(out), "{}{}", sep, name);
    } else if (present) {
      fmt::format_to(std::back_inserter(out), "{}{}", sep, value);
    } else {
      out += sep;
    }
  }
  void end() { out += json ? "}\n" : "\n"; }
};

std::string source_text(const sockaddr_in6& a) {
  const auto* sa = reinterpret_cast<const sockaddr*>(&a);
  if (a.sin6_family == AF_INET) return net::SockAddr::from(sa, sizeof(sockaddr_in)).to_string();
  if (a.sin6_family == AF_INET6) return net::SockAddr::from(sa, sizeof a).to_string();
  return {};
}

void put_tcp_info(ConnLogFields& f, const stats::TcpInfoFields& t) {
  f.put("rtt_us", t.rtt_us, t.valid);
  f.put("rttvar_us", t.rttvar_us, t.valid);
  f.put("retransmits", unsigned{t.retransmits}, t.valid);
  f.put("total_retrans", t.total_retrans, t.valid);
  f.put("snd_cwnd", t.snd_cwnd, t.valid);
  f.put("lost", t.lost, t.valid);
  f.put("tcp_state", unsigned{t.state}, t.valid);
}

bool ends_with_csv(const std::string& path) {
  return path.size() >= 4 && path.compare(path.size() - 4, 4, ".csv") == 0;
}

}  // namespace

std::string rank_file(const std::string& path, unsigned rank) {
  const std::size_t slash = path.find_last_of('/');
  const std::size_t base = slash == std::string::npos ? 0 : slash + 1;
  std::size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || dot <= base) dot = path.size();  // none, or a dot file's
  return fmt::format("{}.rank{}{}", path.substr(0, dot), rank, path.substr(dot));
}

ConnLogWriter::ConnLogWriter(std::shared_ptr<stats::ConnLog> log, const load::Targets& targets,
                             const load::Phases& phases)
    : log_(std::move(log)), path_(log_->path()), csv_(ends_with_csv(path_)), phases_(phases) {
  for (const auto& t : targets.targets) targets_.push_back(t.addr.to_string());
  open_file();
}

ConnLogWriter::ConnLogWriter(std::shared_ptr<stats::ConnLog> log)
    : log_(std::move(log)), path_(log_->path()), csv_(ends_with_csv(path_)), server_(true) {
  open_file();
}

void ConnLogWriter::open_file() {
  if (const ranks::Comm& comm = ranks::world(); comm.size() > 1)
    path_ = rank_file(path_, comm.rank());
  // O_NONBLOCK: a FIFO without a reader fails here (ENXIO) instead of hanging, and a full one
  // stalls only the writer's poll.
  fd_.reset(::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NONBLOCK, 0644));
  if (!fd_)
    throw UsageError(fmt::format("--log-connections: cannot write {}: {}", path_,
                                 std::strerror(errno)));
  batch_.resize(kConnLogBatch);
  if (csv_) format(stats::ConnRecord{}, Mode::CsvHeader);
}

ConnLogWriter::~ConnLogWriter() { finish(); }

void ConnLogWriter::start(std::uint64_t t0_ns) {
  t0_ = t0_ns;
  epoch_at_t0_ = loop::epoch_seconds_at(t0_ns);
  thread_ = std::thread([this] { run(); });
}

void ConnLogWriter::finish() {
  finishing_.store(true, std::memory_order_release);
  if (thread_.joinable()) thread_.join();
}

std::uint64_t ConnLogWriter::dropped() const noexcept { return log_->dropped() + lost_; }

void ConnLogWriter::summarize(std::string& text, nlohmann::json& j) const {
  ranks::Comm& comm = ranks::world();
  std::uint64_t counts[2] = {written_, dropped()};
  comm.sum(counts);
  j["log_records"] = counts[0];
  j["log_dropped"] = counts[1];
  const std::string where =
      comm.size() == 1 ? path_
                       : fmt::format("{} files, {} to {}", comm.size(), rank_file(log_->path(), 0),
                                     rank_file(log_->path(), comm.size() - 1));
  text += fmt::format("connection log: {} records to {}, {} dropped\n",
                      stats::format_count(counts[0]), where, stats::format_count(counts[1]));
}

// Every record the workers pushed before finish() was called is taken after `last` is seen.
void ConnLogWriter::run() {
  flush();  // the CSV header
  for (;;) {
    const bool last = finishing_.load(std::memory_order_acquire);
    const bool any = drain_once();
    if (gave_up_) return drop_rest();
    if (last && !any) return;
    if (!any) std::this_thread::sleep_for(kConnLogIdle);
  }
}

bool ConnLogWriter::drain_once() {
  bool any = false;
  for (unsigned w = 0; w < log_->workers() && !gave_up_; ++w) {
    const std::size_t n = log_->ring(w).pop(batch_.data(), batch_.size());
    for (std::size_t i = 0; i < n; ++i) format(batch_[i], csv_ ? Mode::Csv : Mode::Json);
    any = any || n > 0;
    flush();
  }
  return any;
}

void ConnLogWriter::format(const stats::ConnRecord& r, Mode mode) {
  if (server_) return format_server(r, mode);
  ConnLogFields f{buf_, mode == Mode::Json, mode == Mode::CsvHeader};
  f.put("start_us", r.start_ns / loop::kUs);
  f.put("time", fmt::format("{:.6f}", epoch_at_t0_ + loop::seconds_from_ns(r.start_ns)));
  f.put("worker", unsigned{r.worker});
  f.put("source", source_text(r.source), r.source.sin6_family != AF_UNSPEC, true);
  f.put("target", r.target < targets_.size() ? targets_[r.target] : std::string(), true, true);
  f.put("phase", load::to_string(load::phase_at(phases_, r.start_ns)), phases_.on(), true);
  f.put("connect_us", r.connect_us, r.connect_us != stats::kNoLatency);
  f.put("tls_us", r.tls_us, r.tls_us != stats::kNoLatency);
  f.put("ttfb_us", r.ttfb_us, r.ttfb_us != stats::kNoLatency);
  f.put("ttlb_us", r.ttlb_us, r.ttlb_us != stats::kNoLatency);
  f.put("duration_us", (r.end_ns - std::min(r.end_ns, r.start_ns)) / loop::kUs);
  f.put("requests", r.requests);
  f.put("end", stats::conn_end_name(r.end), true, true);
  f.put("errno", r.sys_errno ? net::errno_name(r.sys_errno) : std::string(), r.sys_errno != 0,
        true);
  if (log_->tcp_info()) put_tcp_info(f, r.tcp);
  f.end();
  if (mode != Mode::CsvHeader) ends_.push_back(buf_.size());
}

// A server's record: accepted at start_us from `peer` on `local`; its phases from the accept.
void ConnLogWriter::format_server(const stats::ConnRecord& r, Mode mode) {
  ConnLogFields f{buf_, mode == Mode::Json, mode == Mode::CsvHeader};
  const std::uint64_t start = r.start_ns > t0_ ? r.start_ns - t0_ : 0;
  f.put("start_us", start / loop::kUs);
  f.put("time", fmt::format("{:.6f}", epoch_at_t0_ + loop::seconds_from_ns(start)));
  f.put("worker", unsigned{r.worker});
  f.put("peer", source_text(r.source), r.source.sin6_family != AF_UNSPEC, true);
  f.put("local", source_text(r.local), r.local.sin6_family != AF_UNSPEC, true);
  f.put("tls_us", r.tls_us, r.tls_us != stats::kNoLatency);
  f.put("first_byte_us", r.ttfb_us, r.ttfb_us != stats::kNoLatency);
  f.put("response_us", r.ttlb_us, r.ttlb_us != stats::kNoLatency);
  f.put("duration_us", (r.end_ns - std::min(r.end_ns, r.start_ns)) / loop::kUs);
  f.put("requests", r.requests);
  f.put("end", stats::conn_end_name(r.end), true, true);
  f.put("detail", stats::to_string(r.detail), r.detail != stats::EndDetail::None, true);
  if (log_->tcp_info()) put_tcp_info(f, r.tcp);
  f.end();
  if (mode != Mode::CsvHeader) ends_.push_back(buf_.size());
}

// Writes buf_ out, waiting on poll while the file takes nothing; at the end (finishing_) a
// stall of kStallNs gives up. A write error drops what is left of the buffer, counted.
void ConnLogWriter::flush() {
  std::size_t done = 0;
  std::uint64_t stalled_since = 0;
  while (done < buf_.size()) {
    const ssize_t n = ::write(fd_.get(), buf_.data() + done, buf_.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      stalled_since = 0;
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) break;  // e.g. ENOSPC: these are lost
    if (give_up_now(stalled_since)) break;
    pollfd p{fd_.get(), POLLOUT, 0};
    ::poll(&p, 1, 50);
  }
  std::size_t complete = 0;
  while (complete < ends_.size() && ends_[complete] <= done) ++complete;
  written_ += complete;
  lost_ += ends_.size() - complete;
  gave_up_ = gave_up_ || done < buf_.size();
  buf_.clear();
  ends_.clear();
}

bool ConnLogWriter::give_up_now(std::uint64_t& stalled_since) const {
  if (!finishing_.load(std::memory_order_acquire)) return false;
  const std::uint64_t now = loop::now_ns();
  if (stalled_since == 0) stalled_since = now;
  return now - stalled_since >= kStallNs;
}

// The file stopped taking records at the end: what is still in the rings is lost, counted.
void ConnLogWriter::drop_rest() {
  for (unsigned w = 0; w < log_->workers(); ++w)
    while (const std::size_t n = log_->ring(w).pop(batch_.data(), batch_.size())) lost_ += n;
}

}  // namespace connperf::run
