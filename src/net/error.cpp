#include "net/error.h"

#include <cerrno>
#include <cstring>

namespace connperf::net {

Err classify(int e) noexcept {
  switch (e) {
    case 0: return Err::Ok;
    case EAGAIN: return Err::WouldBlock;
    case EINPROGRESS: return Err::InProgress;
    case EINTR: return Err::Interrupted;
    case ECONNREFUSED: return Err::Refused;
    case ECONNRESET:
    case ECONNABORTED: return Err::Reset;
    case ETIMEDOUT: return Err::TimedOut;
    case ENETUNREACH:
    case EHOSTUNREACH:
    case ENETDOWN:
    case EHOSTDOWN: return Err::Unreachable;
    case EADDRNOTAVAIL: return Err::AddrUnavailable;
    case EADDRINUSE: return Err::AddrInUse;
    case EMFILE:
    case ENFILE: return Err::TooManyFiles;
    case EPIPE: return Err::BrokenPipe;
    case ENOTCONN: return Err::NotConnected;
    default: return Err::Other;
  }
}

const char* to_string(Err err) noexcept {
  switch (err) {
    case Err::Ok: return "ok";
    case Err::WouldBlock: return "would_block";
    case Err::InProgress: return "in_progress";
    case Err::Interrupted: return "interrupted";
    case Err::Refused: return "refused";
    case Err::Reset: return "reset";
    case Err::TimedOut: return "timeout";
    case Err::Unreachable: return "unreachable";
    case Err::AddrUnavailable: return "addr_unavailable";
    case Err::AddrInUse: return "addr_in_use";
    case Err::TooManyFiles: return "too_many_files";
    case Err::BrokenPipe: return "broken_pipe";
    case Err::NotConnected: return "not_connected";
    case Err::Other: return "other";
  }
  return "other";
}

std::string errno_name(int errno_value) {
  const char* name = strerrorname_np(errno_value);
  return name ? name : "E" + std::to_string(errno_value);
}

std::string errno_text(int errno_value) { return std::strerror(errno_value); }

}  // namespace connperf::net
