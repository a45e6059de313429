#include "harness.h"

#include <sys/resource.h>
#include <sys/time.h>

#include <arpa/inet.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "diag/sock_diag.h"

namespace connperf::test {

namespace fs = std::filesystem;

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "connperf-test-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

Process::Process(std::vector<std::string> argv, const std::string& dir, bool stdin_pipe) {
  static int serial = 0;
  const std::string stem = dir + "/proc" + std::to_string(++serial);
  out_path_ = stem + ".out";
  err_path_ = stem + ".err";
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  int in[2] = {-1, -1};
  if (stdin_pipe && ::pipe(in) != 0) throw std::runtime_error("pipe failed");
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ != 0 && stdin_pipe) {
    ::close(in[0]);
    stdin_ = in[1];
  }
  if (pid_ == 0) {
    const int out = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(err, 2);
    if (stdin_pipe) {
      ::dup2(in[0], 0);
      ::close(in[1]);
    } else {
      ::dup2(::open("/dev/null", O_RDONLY), 0);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
}

void Process::write_stdin(const std::string& text) {
  if (stdin_ >= 0 && ::write(stdin_, text.data(), text.size()) < 0) close_stdin();
}

void Process::close_stdin() {
  if (stdin_ >= 0) ::close(stdin_);
  stdin_ = -1;
}

Process::~Process() {
  close_stdin();
  if (running()) {
    ::kill(pid_, SIGKILL);
    reap(0);
  }
}

// wait4 rather than waitpid: the child's peak memory comes with its exit status.
void Process::reap(int options) {
  int st = 0;
  rusage ru{};
  if (::wait4(pid_, &st, options, &ru) != pid_) return;
  status_ = st;
  max_rss_kib_ = ru.ru_maxrss;
}

void Process::signal(int sig) const {
  if (pid_ > 0) ::kill(pid_, sig);
}

bool Process::running() {
  if (status_ != -1 || pid_ <= 0) return false;
  reap(WNOHANG);
  return status_ == -1;
}

int Process::wait(std::chrono::milliseconds limit) {
  if (!poll_until([&] { return !running(); }, limit, std::chrono::milliseconds(5))) {
    ::kill(pid_, SIGKILL);
    reap(0);
    return -1;
  }
  if (WIFEXITED(status_)) return WEXITSTATUS(status_);
  if (WIFSIGNALED(status_)) return 128 + WTERMSIG(status_);
  return -1;
}

std::string Process::out() const { return read_file(out_path_); }
std::string Process::err() const { return read_file(err_path_); }

namespace {
std::vector<std::string> server_argv(std::vector<std::string> args, const std::string& json) {
  // Without --listen the server would take 0.0.0.0:8888, which a test run in another worktree on
  // the same host may hold: a free loopback port instead.
  if (std::find(args.begin(), args.end(), "--listen") == args.end())
    args.insert(args.begin(), {"--listen", "127.0.0.1:0"});
  args.insert(args.begin(), {connperf(), "server"});
  args.insert(args.end(), {"-q", "--json", json});
  return args;
}
}  // namespace

ServerProcess::ServerProcess(const TempDir& dir, std::vector<std::string> args,
                             const std::string& tag)
    : json_(dir.file(tag + ".json")),
      proc_(server_argv(std::move(args), json_), dir.path()),
      port_(proc_.wait_listening()) {}

nlohmann::json ServerProcess::stop(std::chrono::milliseconds limit) {
  proc_.signal(SIGTERM);
  EXPECT_EQ(proc_.wait(limit), 0) << proc_.err();
  return read_json(json_)["summary"];
}

int Process::wait_listening(std::chrono::milliseconds limit, bool from_stdout) {
  static const std::regex re(R"(listening on \S*:(\d+))");
  int port = -1;
  poll_until(
      [&] {
        std::smatch m;
        const std::string text = from_stdout ? out() : err();
        if (std::regex_search(text, m, re)) port = std::stoi(m[1]);
        return port >= 0 || !running();
      },
      limit);
  if (port < 0) throw std::runtime_error("process did not report 'listening on': " + err());
  return port;
}

RunResult run(std::vector<std::string> argv, const std::string& dir,
              std::chrono::milliseconds limit) {
  Process p(std::move(argv), dir);
  const int code = p.wait(limit);
  return {code, p.out(), p.err()};
}

// CONNPERF_BIN in the environment runs the tests against another build of the binary.
std::string connperf() {
  const char* env = std::getenv("CONNPERF_BIN");
  return env && *env ? env : CONNPERF_BIN;
}
std::string peers_dir() { return std::string(CONNPERF_TESTS_DIR) + "/peers"; }

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> latency_row_cells(const std::string& text, const std::string& name) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream cells(line);
    std::string first;
    if (!(cells >> first) || first != name || line.rfind("  ", 0) != 0) continue;
    std::vector<std::string> out;
    for (std::string c; cells >> c;) out.push_back(c);
    if (out.size() == 6) return out;
  }
  return {};
}

long vm_kib(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  return -1;
}

nlohmann::json read_json(const std::string& path) {
  const std::string text = read_file(path);
  if (text.empty()) throw std::runtime_error("no JSON in " + path);
  return nlohmann::json::parse(text);
}

std::vector<nlohmann::json> read_ndjson(const std::string& path) {
  std::vector<nlohmann::json> records;
  std::stringstream in(read_file(path));
  for (std::string line; std::getline(in, line);) records.push_back(nlohmann::json::parse(line));
  return records;
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

nlohmann::json probe(const TempDir& dir, int port, const std::vector<std::string>& chunks,
                     std::vector<std::string> extra) {
  std::vector<std::string> argv{"python3", peers_dir() + "/mode_probe.py", "--port",
                                std::to_string(port)};
  for (const auto& c : chunks) {
    argv.push_back("--chunk");
    argv.push_back(c);
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  const RunResult r = run(argv, dir.path(), std::chrono::seconds(20));
  EXPECT_EQ(r.code, 0) << r.err;
  return nlohmann::json::parse(r.out);
}

void expect_server_invariant(const nlohmann::json& s) {
  EXPECT_EQ(s["accepted"].get<std::uint64_t>(),
            s["rst"].get<std::uint64_t>() + s["fin"].get<std::uint64_t>() +
                s["closed_by_server"].get<std::uint64_t>() + s["errors"].get<std::uint64_t>() +
                s["active"].get<std::uint64_t>())
      << s.dump();
}

bool have_program(const std::string& name) {
  return std::system(("command -v " + name + " >/dev/null 2>&1").c_str()) == 0;
}

}  // namespace connperf::test

namespace connperf::test {

int connect_loopback(int port, int recv_timeout_s) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (recv_timeout_s > 0) {
    timeval tv{recv_timeout_s, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  return fd;
}

void send_all(int fd, const std::string& data) {
  for (std::size_t off = 0; off < data.size();) {
    const ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<std::size_t>(n);
  }
}

std::string read_to_end(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

Answer send_and_read(int port, const std::string& bytes, std::chrono::milliseconds limit) {
  Answer a;
  const int fd = connect_loopback(port);
  send_all(fd, bytes);
  const auto end = std::chrono::steady_clock::now() + limit;
  char buf[65536];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      a.data.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    a.closed = true;
    a.reset = n < 0;
    break;
  }
  ::close(fd);
  return a;
}

bool close_and_wait_peer_close(int fd, std::chrono::milliseconds limit) {
  sockaddr_in local{}, remote{};
  socklen_t len = sizeof local;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
  len = sizeof remote;
  ::getpeername(fd, reinterpret_cast<sockaddr*>(&remote), &len);
  ::close(fd);
  diag::StateFilter f;
  f.local_port = ntohs(local.sin_port);
  f.remote_port = ntohs(remote.sin_port);
  return poll_until(
      [&] {
        const diag::StateCounts n = diag::count_tcp_states(f);
        return n[diag::TcpState::FinWait1] + n[diag::TcpState::FinWait2] == 0;
      },
      limit);
}

std::uint64_t established_to(int port) {
  diag::StateFilter f;
  f.remote_port = static_cast<std::uint16_t>(port);
  return diag::count_tcp_states(f)[diag::TcpState::Established];
}

void expect_ab_complete(const RunResult& r, int requests) {
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(std::regex_search(
      r.out, std::regex("Complete requests:\\s+" + std::to_string(requests) + "\\b")))
      << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(Failed requests:\s+0\b)"))) << r.out;
}

CertFiles::CertFiles(const TempDir& dir, const std::string& tag)
    : cert(dir.file(tag + "-cert.pem")), key(dir.file(tag + "-key.pem")) {
  const RunResult r = run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                           "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                           "-days", "2", "-subj", "/CN=localhost", "-addext",
                           "subjectAltName=DNS:localhost,IP:127.0.0.1"},
                          dir.path(), std::chrono::seconds(20));
  EXPECT_EQ(r.code, 0) << r.err;
}

nlohmann::json tls_load(const TempDir& dir, const std::string& command, const std::string& target,
                        const std::vector<std::string>& extra, int expect_code) {
  const std::string path = dir.file(command + "-tls.json");
  std::vector<std::string> argv{connperf(), command, "--tls", target, "-q", "--json", path};
  argv.insert(argv.end(), extra.begin(), extra.end());
  const RunResult r = run(argv, dir.path(), std::chrono::seconds(60));
  EXPECT_EQ(r.code, expect_code) << r.err;
  return read_json(path)["summary"];
}

OpensslWww::OpensslWww(const TempDir& dir)
    : certs_(dir, "s_server"),
      proc_({"/usr/bin/openssl", "s_server", "-www", "-accept", "127.0.0.1:0", "-cert",
             certs_.cert, "-key", certs_.key},
            dir.path()) {
  static const std::regex accept_re(R"(ACCEPT \S+:(\d+))");
  std::smatch m;
  std::string out;
  if (poll_until([&] { return std::regex_search(out = proc_.out(), m, accept_re); },
                 std::chrono::seconds(10)))
    target_ = "127.0.0.1:" + m[1].str();
  EXPECT_FALSE(target_.empty()) << proc_.err();
}

OpensslWww::~OpensslWww() {
  proc_.signal(SIGTERM);
  proc_.wait(std::chrono::seconds(10));
}

}  // namespace connperf::test
