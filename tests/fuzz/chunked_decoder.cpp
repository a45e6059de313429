// libFuzzer target: proto::BodyFramer in chunked mode, whole and split. Both feedings must
// agree on where the body ends; a body that completes ends with the last chunk's CRLF.
#include "proto/http.h"
#include "split.h"

namespace {

using connperf::proto::BodyFramer;
using connperf::proto::FrameStatus;

struct Result {
  FrameStatus status = FrameStatus::NeedMore;
  std::size_t end = 0;
};

Result decode(std::string_view in, connperf::fuzz::Splitter* split) {
  BodyFramer f;
  f.start(BodyFramer::Kind::Chunked, 0);
  std::size_t pos = 0;
  while (pos < in.size()) {
    const std::size_t piece = split ? split->next(in.size() - pos) : in.size() - pos;
    std::size_t consumed = 0;
    const FrameStatus s = f.feed(in.data() + pos, piece, consumed);
    if (s == FrameStatus::Error) {
      connperf::fuzz::check(f.error() != nullptr, "an error without a reason");
      return {s, pos};
    }
    connperf::fuzz::check(consumed <= piece, "consumed more than fed");
    pos += consumed;
    if (s == FrameStatus::Complete) return {s, pos};
    connperf::fuzz::check(consumed == piece, "NeedMore left bytes unconsumed");
  }
  return {FrameStatus::NeedMore, pos};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::uint8_t seed = 0;
  const std::string_view in = connperf::fuzz::payload(data, size, seed);
  const Result whole = decode(in, nullptr);
  connperf::fuzz::Splitter split(seed);
  const Result pieces = decode(in, &split);
  connperf::fuzz::check(whole.status == pieces.status, "status differs between whole and split");
  if (whole.status == FrameStatus::Complete) {
    connperf::fuzz::check(whole.end == pieces.end, "body end differs between whole and split");
    connperf::fuzz::check(whole.end >= 3 && in.substr(0, whole.end).ends_with("\n"),
                          "a complete chunked body that does not end a line");
  }
  return 0;
}
