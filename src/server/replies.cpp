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
