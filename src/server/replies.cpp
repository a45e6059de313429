#include "server/replies.h"

#include <algorithm>

#include "proto/transform.h"

namespace connperf::server {

std::size_t read_budget(Mode mode, std::size_t pending, std::size_t high_water,
                        std::size_t reply_len, std::size_t buf_size) noexcept {
  const std::size_t room = pending < high_water ? high_water - pending : 0;
  switch (mode) {
    case Mode::Http: {
      const std::size_t replies = room / reply_len;
      return replies <= 1 ? 1 : std::min(buf_size, (replies - 1) * kMinHttpRequest);
    }
    case Mode::Echo:
    case Mode::Upper:
    case Mode::Stamp: return std::clamp<std::size_t>(room, 1, buf_size);
    case Mode::Crr:
    case Mode::Discard: break;
  }
  return buf_size;
}

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

void HttpReplyLoop::reset() noexcept {
  framer_.reset();
  last_ = Last::None;
}

HttpReplyLoop::Step HttpReplyLoop::next(const char* data, std::size_t n,
                                        std::size_t& used) noexcept {
  used = 0;
  if (last_ != Last::None) return Step::Last;
  const proto::FrameStatus s = framer_.feed(data, n, used);
  if (s == proto::FrameStatus::NeedMore) return Step::NeedMore;
  if (s == proto::FrameStatus::Error) {
    last_ = framer_.not_implemented() ? Last::NotImplemented : Last::BadRequest;
    return Step::Last;
  }
  const bool head = framer_.is_head();
  if (!framer_.keep_alive()) {
    last_ = head ? Last::CloseHead : Last::Close;
    return Step::Last;
  }
  framer_.reset();
  return head ? Step::Head : Step::Get;
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
