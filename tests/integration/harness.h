// Integration-test helpers: start real processes (connperf and peers) with their output in
// files, wait for them with a time limit, stop them by PID, read their JSON.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../poll_until.h"  // poll_until(cond, limit, step): wait for a condition, not a time

namespace connperf::test {

// A temporary directory removed when the test ends.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

class Process {
 public:
  // Starts argv[0] (a path) with stdout and stderr captured to files in `dir`; stdin is
  // /dev/null, or with `stdin_pipe` a pipe fed by write_stdin() until close_stdin().
  Process(std::vector<std::string> argv, const std::string& dir, bool stdin_pipe = false);
  ~Process();  // SIGKILLs and reaps the process if still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  void write_stdin(const std::string& text);
  void close_stdin();
  void signal(int sig) const;
  // Exit code, 128+signal when killed by one, or -1 after `limit` (then it is killed).
  int wait(std::chrono::milliseconds limit);
  bool running();
  std::string out() const;
  std::string err() const;
  // Peak resident memory (KiB, the kernel's VmHWM) of the process, known once it has been
  // reaped (after wait() or running() returned false); -1 before.
  long max_rss_kib() const { return max_rss_kib_; }
  // Waits for "listening on HOST:PORT" on stderr (or stdout with from_stdout) and returns PORT.
  int wait_listening(std::chrono::milliseconds limit = std::chrono::seconds(10),
                     bool from_stdout = false);

 private:
  pid_t pid_ = -1;
  int status_ = -1;
  long max_rss_kib_ = -1;
  int stdin_ = -1;
  void reap(int options);
  std::string out_path_, err_path_;
};

struct RunResult {
  int code;
  std::string out;
  std::string err;
};

// `connperf server ARGS... -q --json FILE` as a child process of the test, started and listening;
// stop() ends it with SIGTERM and returns its JSON summary. `tag` names its files in `dir`.
class ServerProcess {
 public:
  ServerProcess(const TempDir& dir, std::vector<std::string> args, const std::string& tag = "server");
  int port() const { return port_; }
  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string url() const { return "http://" + target() + "/"; }
  Process& process() { return proc_; }
  nlohmann::json stop(std::chrono::milliseconds limit = std::chrono::seconds(20));

 private:
  std::string json_;
  Process proc_;
  int port_;
};

// Runs to completion (killed after `limit`).
RunResult run(std::vector<std::string> argv, const std::string& dir,
              std::chrono::milliseconds limit = std::chrono::seconds(60));

std::string connperf();        // path of the binary under test
std::string peers_dir();       // tests/peers
std::string read_file(const std::string& path);
nlohmann::json read_json(const std::string& path);
// One JSON value a line (--ndjson, --log-connections).
std::vector<nlohmann::json> read_ndjson(const std::string& path);
// A field of /proc/PID/status in KiB ("VmRSS", "VmHWM"); -1 when the process or field is gone.
long vm_kib(pid_t pid, const std::string& field);
// Sanitizer builds carry shadow memory and a quarantine (~70 MiB more at rest): memory bounds in
// tests are multiplied by this.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr long kMemoryScale = 4;
#else
inline constexpr long kMemoryScale = 1;
#endif
// The cells of the printed summary's latency row `name` ("connect", "scheduled", ...): p50,
// p90, p99, p99.9, max, mean as printed; empty when there is no such row.
std::vector<std::string> latency_row_cells(const std::string& text, const std::string& name);
int free_port();               // a loopback port nobody listens on right now
bool have_program(const std::string& name);

// tests/peers/mode_probe.py against 127.0.0.1:port: sends each chunk, reads its reply, half-closes;
// returns its JSON ({"replies": [...], "rest": "...", "eof": bool}).
nlohmann::json probe(const TempDir& dir, int port, const std::vector<std::string>& chunks,
                     std::vector<std::string> extra = {});

// Blocking loopback sockets for tests that talk to a server by hand. connect_loopback fails the
// test when the connection is refused; a recv timeout (seconds, 0 = none) bounds every read.
int connect_loopback(int port, int recv_timeout_s = 0);
void send_all(int fd, const std::string& data);
std::string read_to_end(int fd);  // until the peer closes, or a read times out
// Sends `bytes` on a new loopback connection and reads until the peer closes (a FIN or a reset)
// or `limit` passes: what arrived, and whether the peer closed within the limit.
struct Answer {
  std::string data;
  bool closed = false;
  bool reset = false;
  std::string status_line() const { return data.substr(0, data.find("\r\n")); }
};
Answer send_and_read(int port, const std::string& bytes, std::chrono::milliseconds limit);
// Closes our end of a loopback TCP connection and waits up to `limit` until the peer has closed
// its end too (our socket left FIN_WAIT: the peer saw our FIN and closed). False on timeout.
bool close_and_wait_peer_close(int fd, std::chrono::milliseconds limit = std::chrono::seconds(3));
// Established TCP connections on this host to remote port `port`, counted on the connecting
// side (e.g. a proxy's upstream connections to an origin listening there).
std::uint64_t established_to(int port);

// An `ab` run finished with `requests` complete and none failed.
void expect_ab_complete(const RunResult& r, int requests);

// DESIGN.md section 3: accepted == rst + fin + closed_by_server + errors + active.
void expect_server_invariant(const nlohmann::json& summary);

// A self-signed P-256 certificate for localhost and 127.0.0.1 in `dir`, made by the openssl
// command (files TAG-cert.pem and TAG-key.pem).
struct CertFiles {
  std::string cert, key;
  explicit CertFiles(const TempDir& dir, const std::string& tag = "peer");
};

// `connperf COMMAND --tls TARGET EXTRA... -q --json FILE`, expecting exit `expect_code`: its
// summary.
nlohmann::json tls_load(const TempDir& dir, const std::string& command, const std::string& target,
                        const std::vector<std::string>& extra, int expect_code = 0);

// openssl s_server -www with a fresh certificate on a loopback port it prints
// ("ACCEPT 127.0.0.1:PORT"); stopped by its PID when this goes.
class OpensslWww {
 public:
  explicit OpensslWww(const TempDir& dir);
  ~OpensslWww();
  const std::string& target() const { return target_; }  // "" when it did not start

 private:
  CertFiles certs_;
  Process proc_;
  std::string target_;
};

}  // namespace connperf::test
