#include "server/replies.h"

#include <algorithm>

#include <fmt/format.h>

#include "proto/object.h"
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

namespace {

// Printable, a line every 64 bytes: a body that reads well in curl or a capture.
void append_body(std::string& out, std::uint64_t size) {
  for (std::uint64_t i = 0; i < size; ++i)
    out.push_back(i % 64 == 63 ? '\n' : static_cast<char>('a' + i % 26));
}

}  // namespace

ObjectReplies::ObjectReplies(const std::vector<std::uint64_t>& sizes) : sizes_(sizes) {
  for (int close = 0; close < 2; ++close) {
    const char* conn = close ? "close" : "keep-alive";
    for (const std::uint64_t size : sizes_) {
      std::string& r = replies_[close].emplace_back(fmt::format(
          "HTTP/1.1 200 OK\r\nServer: connperf\r\nContent-Length: {}\r\nConnection: {}\r\n\r\n",
          size, conn));
      head_bytes_[close].push_back(r.size());
      r.reserve(r.size() + size);
      append_body(r, size);
    }
    replies_[close].push_back(fmt::format(
        "HTTP/1.1 404 Not Found\r\nServer: connperf\r\nContent-Length: 0\r\nConnection: {}\r\n\r\n",
        conn));
    head_bytes_[close].push_back(replies_[close].back().size());
  }
}

int ObjectReplies::find(std::string_view target) const noexcept {
  const auto size = proto::size_of_target(target);
  if (!size) return 0;
  for (std::size_t i = 0; i < sizes_.size(); ++i)
    if (sizes_[i] == *size) return static_cast<int>(i);
  return kNotFound;
}

std::string_view ObjectReplies::reply(int object, bool head_request, bool close) const noexcept {
  const int c = close ? 1 : 0;
  const std::size_t i = object == kNotFound ? sizes_.size() : static_cast<std::size_t>(object);
  const std::string_view r = replies_[c][i];
  return head_request ? r.substr(0, head_bytes_[c][i]) : r;
}

std::string_view object_reply(const ObjectReplies& objects, const HttpReplyLoop& http, bool head,
                              stats::ListenerStats& st) noexcept {
  const int object = http.object();
  if (object == ObjectReplies::kNotFound) st.not_found.add();
  return objects.reply(object, head, http.last() != Last::None);
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
  if (objects_) [[unlikely]] object_ = objects_->find(framer_.target());
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
