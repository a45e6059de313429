// libFuzzer target: proto::RequestFramer (the server's request framing) over pipelined
// requests, whole and split; both must find the same message ends.
#include "framer_driver.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using connperf::proto::RequestFramer;
  connperf::fuzz::check_split_agrees<RequestFramer>(data, size, [](RequestFramer& f) {
    f.reset();
  });
  return 0;
}
