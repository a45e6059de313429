// --log-connections FILE: the writer of the per-connection records (stats/conn_log.h). Its own
// thread empties the workers' rings every few milliseconds and writes one line per record —
// NDJSON, or CSV with a header when FILE ends in .csv — to a non-blocking file descriptor, so a
// slow disk or a FIFO nobody reads stalls only this thread: the rings fill and the workers drop
// (counted). At the end finish() writes what is left; what it cannot write within kStallNs of no
// progress is counted as dropped too, so written + dropped == the records the workers made.
// The server's records (its own constructor) have fields of their own: peer, local, the
// server's phases and the counter each connection ended in. Constructed, started and finished
// on the command's thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "load/phases.h"
#include "load/target.h"
#include "net/socket.h"
#include "stats/conn_log.h"

namespace connperf::run {

// Under mpirun every rank writes its own file: FILE with ".rankR" before its extension
// (conn.ndjson: conn.rank0.ndjson, conn.rank1.ndjson, ...; a name without one gets it at the
// end), so CSV stays CSV.
std::string rank_file(const std::string& path, unsigned rank);

class ConnLogWriter {
 public:
  static constexpr std::uint64_t kStallNs = 500'000'000;

  // Opens (truncates) log->path(); throws UsageError (one line, exit 2) when it cannot be
  // written — a FIFO with no reader included — before any connection.
  ConnLogWriter(std::shared_ptr<stats::ConnLog> log, const load::Targets& targets,
                const load::Phases& phases);
  // The server's: its engine makes the rings later (ConnLog::make_rings), before start().
  explicit ConnLogWriter(std::shared_ptr<stats::ConnLog> log);
  ~ConnLogWriter();
  ConnLogWriter(const ConnLogWriter&) = delete;
  ConnLogWriter& operator=(const ConnLogWriter&) = delete;

  void start(std::uint64_t t0_ns);  // the run's start; the thread begins
  void finish();                    // after the engine joined: the rest, then the thread ends
  std::uint64_t written() const noexcept { return written_; }  // after finish()
  std::uint64_t dropped() const noexcept;                      // after finish()
  // summary.log_records and summary.log_dropped (summed over ranks: every rank calls it), and a
  // line of text.
  void summarize(std::string& text, nlohmann::json& j) const;

 private:
  enum class Mode : std::uint8_t { Json, Csv, CsvHeader };
  void open_file();
  void run();
  bool drain_once();  // true when any record was taken
  void format(const stats::ConnRecord& r, Mode mode);
  void format_server(const stats::ConnRecord& r, Mode mode);
  void flush();
  bool give_up_now(std::uint64_t& stalled_since) const;
  void drop_rest();

  std::shared_ptr<stats::ConnLog> log_;
  std::string path_;
  net::Fd fd_;
  bool csv_ = false;
  bool server_ = false;     // the server's records
  std::uint64_t t0_ = 0;    // server: its records' times are monotonic
  std::vector<std::string> targets_;
  load::Phases phases_;
  double epoch_at_t0_ = 0;
  std::string buf_;
  std::vector<std::size_t> ends_;  // where each record in buf_ ends
  std::vector<stats::ConnRecord> batch_;
  std::atomic<bool> finishing_{false};
  bool gave_up_ = false;
  std::uint64_t written_ = 0;
  std::uint64_t lost_ = 0;  // taken from a ring but not written (the file failed or stalled)
  std::thread thread_;
};

}  // namespace connperf::run
