// libFuzzer target: proto::ResponseFramer (the load engines' response framing), for GET and
// HEAD requests, whole and split, and the end of stream after the last piece.
#include "framer_driver.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using connperf::proto::FrameStatus;
  using connperf::proto::ResponseFramer;
  const bool head = size > 0 && (data[0] & 0x80) != 0;
  connperf::fuzz::check_split_agrees<ResponseFramer>(data, size, [head](ResponseFramer& f) {
    f.reset(head);
  });
  // A response cut by the peer's close: on_eof either completes a body framed by the close
  // or fails with a reason, never both or neither.
  std::uint8_t seed = 0;
  const std::string_view in = connperf::fuzz::payload(data, size, seed);
  ResponseFramer f;
  f.reset(head);
  std::size_t consumed = 0;
  if (f.feed(in.data(), in.size(), consumed) == FrameStatus::NeedMore) {
    const FrameStatus s = f.on_eof();
    connperf::fuzz::check(s == FrameStatus::Complete || (s == FrameStatus::Error && f.error()),
                          "on_eof neither completed nor failed with a reason");
    if (s == FrameStatus::Complete)
      connperf::fuzz::check(!f.keep_alive(), "a body framed by close kept alive");
  }
  return 0;
}
