#include "lab/command.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <ctime>

extern char** environ;

namespace connperf::lab {

namespace {

struct Pipe {
  int fd[2] = {-1, -1};
  Pipe() {
    if (::pipe2(fd, O_CLOEXEC) != 0) fd[0] = fd[1] = -1;
  }
  ~Pipe() {
    close_end(0);
    close_end(1);
  }
  void close_end(int i) {
    if (fd[i] >= 0) ::close(fd[i]);
    fd[i] = -1;
  }
};

// Feeds `input` and collects both outputs without either side blocking the other.
void exchange(Pipe& in, Pipe& out, Pipe& err, const std::string& input, CommandResult& r) {
  std::size_t sent = 0;
  if (input.empty()) in.close_end(1);
  char buf[4096];
  while (out.fd[0] >= 0 || err.fd[0] >= 0) {
    std::array<pollfd, 3> p{{{out.fd[0], POLLIN, 0}, {err.fd[0], POLLIN, 0}, {in.fd[1], POLLOUT, 0}}};
    if (::poll(p.data(), p.size(), -1) < 0) continue;
    if (p[2].revents && in.fd[1] >= 0) {
      const ssize_t n = ::write(in.fd[1], input.data() + sent, input.size() - sent);
      if (n > 0) sent += static_cast<std::size_t>(n);
      if (n <= 0 || sent == input.size()) in.close_end(1);
    }
    for (int i = 0; i < 2; ++i) {
      if (!p[static_cast<std::size_t>(i)].revents) continue;
      Pipe& from = i == 0 ? out : err;
      const ssize_t n = ::read(from.fd[0], buf, sizeof buf);
      if (n <= 0) from.close_end(0);
      else (i == 0 ? r.out : r.err).append(buf, static_cast<std::size_t>(n));
    }
  }
}

// posix_spawnp of argv with `actions` (destroyed here); the posix_spawn result.
int spawn(const std::vector<std::string>& argv, posix_spawn_file_actions_t& actions, pid_t& pid) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc;
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv, const std::string& input) {
  CommandResult r;
  Pipe in, out, err;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.fd[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out.fd[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err.fd[1], 2);
  pid_t pid = -1;
  const int rc = spawn(argv, actions, pid);
  in.close_end(0);
  out.close_end(1);
  err.close_end(1);
  if (rc != 0) {
    r.err = argv[0] + ": cannot be started";
    return r;
  }
  exchange(in, out, err, input, r);
  int status = 0;
  if (::waitpid(pid, &status, 0) == pid && WIFEXITED(status)) r.code = WEXITSTATUS(status);
  return r;
}

int spawn_background(const std::vector<std::string>& argv, const std::string& out_path,
                     const std::string& err_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  pid_t pid = -1;
  const int rc = spawn(argv, actions, pid);
  return rc == 0 ? pid : -1;
}

int stop_child(int pid, int grace_ms) {
  if (pid <= 0) return -1;
  ::kill(pid, SIGTERM);
  int status = 0;
  for (int waited = 0;; waited += 10) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0) return -1;
    if (waited >= grace_ms) {
      ::kill(pid, SIGKILL);
      if (::waitpid(pid, &status, 0) != pid) return -1;
      break;
    }
    const timespec ten_ms{0, 10'000'000};
    ::nanosleep(&ten_ms, nullptr);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace connperf::lab
