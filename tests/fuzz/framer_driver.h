// Drives a request or response framer over a byte stream of pipelined messages, either in one
// piece or in pieces, and records where each message ended. The two runs must agree: a framer
// that depends on where reads happen to split would frame the same stream two ways.
#pragma once

#include <string_view>
#include <vector>

#include "proto/http.h"
#include "split.h"

namespace connperf::fuzz {

struct Framing {
  std::vector<std::size_t> ends;  // offset just past each complete message
  bool error = false;
};

// feed(framer, data, len, consumed) → FrameStatus; reset(framer) before the next message.
template <typename Framer, typename Reset>
Framing frame_stream(std::string_view in, Splitter* split, Reset reset) {
  Framer f;
  reset(f);
  Framing out;
  std::size_t pos = 0;
  while (pos < in.size() && out.ends.size() < 64) {
    const std::size_t piece = split ? split->next(in.size() - pos) : in.size() - pos;
    std::size_t consumed = 0;
    const proto::FrameStatus s = f.feed(in.data() + pos, piece, consumed);
    check(consumed <= piece, "consumed more than fed");
    pos += consumed;
    if (s == proto::FrameStatus::Error) {
      check(f.error() != nullptr, "an error without a reason");
      out.error = true;
      return out;
    }
    if (s == proto::FrameStatus::Complete) {
      out.ends.push_back(pos);
      reset(f);
    } else {
      check(consumed == piece, "NeedMore left bytes unconsumed");
    }
  }
  return out;
}

template <typename Framer, typename Reset>
void check_split_agrees(const std::uint8_t* data, std::size_t size, Reset reset) {
  std::uint8_t seed = 0;
  const std::string_view in = payload(data, size, seed);
  const Framing whole = frame_stream<Framer>(in, nullptr, reset);
  Splitter split(seed);
  const Framing pieces = frame_stream<Framer>(in, &split, reset);
  check(whole.ends == pieces.ends, "message ends differ between whole and split feeding");
  check(whole.error == pieces.error, "error differs between whole and split feeding");
}

}  // namespace connperf::fuzz
