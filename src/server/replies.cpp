#include "server/replies.h"

#include "proto/transform.h"

namespace connperf::server {

void EchoFamily::append(Mode mode, char* data, std::size_t n, std::string& out) {
  switch (mode) {
    case Mode::Echo: out.append(data, n); break;
    case Mode::Upper:
      proto::to_upper_ascii(data, n);
      out.append(data, n);
      break;
    case Mode::Stamp: out.append(stamp()).append(data, n); break;
    default: break;
  }
}

const std::string& EchoFamily::stamp() {
  const std::time_t now = std::time(nullptr);
  if (now != stamp_time_) {
    stamp_time_ = now;
    stamp_ = proto::stamp_prefix(now);
  }
  return stamp_;
}

}  // namespace connperf::server
