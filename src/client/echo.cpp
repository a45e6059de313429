#include "client/echo.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "loop/event_loop.h"
#include "net/socket.h"

namespace connperf::client {

namespace {

constexpr std::size_t kMaxPending = 64 * 1024;  // typed bytes not yet sent: stdin waits past it
constexpr std::size_t kMaxLine = 64 * 1024;     // a longer line goes out in pieces of this size
constexpr int kLingerMs = 5000;                 // after our half-close, how long we wait

class Session {
 public:
  explicit Session(const EchoSpec& spec) : spec_(spec) {}

  int run() {
    if (!connect_or_say()) return 1;
    if (::isatty(spec_.in_fd))
      say(fmt::format("connected to {}; an empty line or Ctrl-D half-closes", spec_.name));
    while (!done_) step();
    return code_;
  }

 private:
  void say(const std::string& line) const {
    const std::string text = "connperf: " + line + "\n";
    net::write_all_fd(spec_.err_fd, text.data(), text.size());
  }

  void finish(int code, const std::string& line) {
    if (!line.empty()) say(line);
    code_ = code;
    done_ = true;
  }

  bool connect_or_say() {
    const net::Result r = net::connect_within(
        spec_.target, static_cast<int>(loop::ms_from_ns(spec_.connect_timeout_ns)), sock_);
    if (r.ok()) return true;
    say(fmt::format("cannot connect to {}: {}", spec_.name, net::errno_text(r.sys_errno)));
    return false;
  }

  void step() {
    pollfd fds[2] = {{sock_.get(), POLLIN, 0}, {spec_.in_fd, POLLIN, 0}};
    if (sent_ < pending_.size()) fds[0].events |= POLLOUT;
    const bool want_input = !input_done_ && pending_.size() - sent_ < kMaxPending;
    int timeout = -1;
    if (half_closed_) {
      const std::uint64_t now = loop::now_ns();
      if (now >= linger_until_) return finish(0, "the server did not close within 5 s");
      timeout = static_cast<int>(loop::ms_from_ns(linger_until_ - now)) + 1;
    }
    const net::Result r = net::poll_fds(fds, want_input ? 2 : 1, timeout);
    if (!r.ok()) return finish(1, "poll: " + net::errno_text(r.sys_errno));
    if (fds[0].revents & (POLLIN | POLLERR | POLLHUP)) read_socket();
    if (!done_ && (fds[0].revents & POLLOUT)) send_pending();
    if (!done_ && want_input && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) read_input();
  }

  void read_socket() {
    char buf[16 * 1024];
    const net::Result r = net::read_some(sock_.get(), buf, sizeof buf);
    if (r.err == net::Err::WouldBlock) return;
    if (r.err == net::Err::Reset) return finish(1, "connection reset by the server");
    if (!r.ok()) return finish(1, "connection failed: " + net::errno_text(r.sys_errno));
    if (r.value == 0) return finish(0, half_closed_ ? "" : "connection closed by the server");
    net::write_all_fd(spec_.out_fd, buf, static_cast<std::size_t>(r.value));
  }

  // Lines go out as typed; an empty line or the end of input half-closes.
  void read_input() {
    char buf[4096];
    const net::Result r = net::read_fd(spec_.in_fd, buf, sizeof buf);
    if (!r.ok() || r.value == 0) {
      pending_ += line_;
      line_.clear();
      return end_input();
    }
    for (long i = 0; i < r.value && !input_done_; ++i) {
      line_ += buf[i];
      if (buf[i] != '\n') {
        // Input without a newline is not held without limit: what was typed goes out as it is.
        if (line_.size() >= kMaxLine) pending_ += line_, line_.clear();
        continue;
      }
      if (line_ == "\n" || line_ == "\r\n") {
        line_.clear();
        return end_input();
      }
      pending_ += line_;
      line_.clear();
    }
    send_pending();
  }

  void end_input() {
    input_done_ = true;
    send_pending();
  }

  void send_pending() {
    while (sent_ < pending_.size()) {
      const net::Result r = net::send_some(sock_.get(), pending_.data() + sent_, pending_.size() - sent_);
      if (r.err == net::Err::WouldBlock) return;
      if (r.err == net::Err::Reset) return finish(1, "connection reset by the server");
      if (!r.ok()) return finish(1, "send failed: " + net::errno_text(r.sys_errno));
      sent_ += static_cast<std::size_t>(r.value);
    }
    pending_.clear();
    sent_ = 0;
    if (input_done_ && !half_closed_) {
      half_closed_ = true;
      net::shutdown_write(sock_.get());
      linger_until_ = loop::now_ns() + loop::ns_from_ms(kLingerMs);
    }
  }

  const EchoSpec& spec_;
  net::Fd sock_;
  std::string line_;     // typed, not yet a whole line (at most kMaxLine bytes)
  std::string pending_;  // whole lines not yet sent, from sent_
  std::size_t sent_ = 0;
  bool input_done_ = false;
  bool half_closed_ = false;
  std::uint64_t linger_until_ = 0;
  bool done_ = false;
  int code_ = 0;
};

}  // namespace

int run_echo(const EchoSpec& spec) {
  ::signal(SIGPIPE, SIG_IGN);
  return Session(spec).run();
}

}  // namespace connperf::client
