// The interactive line client behind `connperf echo`: stdin and the socket are watched at once,
// so the server's words and its close show up while the user is still typing.
#pragma once

#include <cstdint>
#include <string>

#include "net/address.h"

namespace connperf::client {

struct EchoSpec {
  net::SockAddr target;
  std::string name;  // as the user wrote it
  int in_fd = 0;
  int out_fd = 1;
  int err_fd = 2;
  std::uint64_t connect_timeout_ns = 5'000'000'000;
};

// Returns the exit code: 0 when the conversation ended in order (either side closed), 1 when
// the connection could not be made or was reset.
int run_echo(const EchoSpec& spec);

}  // namespace connperf::client
