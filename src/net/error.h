// Error classes for socket calls. Classification happens where the syscall is made (net/);
// code outside net/ sees only these values and never reads errno.
#pragma once

#include <cstdint>
#include <string>

namespace connperf::net {

enum class Err : std::uint8_t {
  Ok,
  WouldBlock,
  InProgress,
  Interrupted,
  Refused,
  Reset,
  TimedOut,
  Unreachable,
  AddrUnavailable,
  AddrInUse,
  TooManyFiles,
  BrokenPipe,
  NotConnected,
  Other,
};

Err classify(int errno_value) noexcept;
const char* to_string(Err err) noexcept;

// What a socket call returned: `value` is the byte count or new fd when err == Ok.
struct Result {
  long value = 0;
  Err err = Err::Ok;
  int sys_errno = 0;

  bool ok() const noexcept { return err == Err::Ok; }
  static Result from_errno(int e) noexcept { return {-1, classify(e), e}; }
};

// "ECONNREFUSED"; "E?" for an unknown value.
std::string errno_name(int errno_value);
// "Connection refused".
std::string errno_text(int errno_value);

}  // namespace connperf::net
