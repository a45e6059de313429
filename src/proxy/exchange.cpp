// The HTTP phases of a session: a request head starts an exchange (or a tunnel), the request
// goes up and the response comes down with their framing, and the exchange ends with the
// client connection kept for the next request or closed.
#include <fmt/format.h>

#include "proto/text.h"
#include "proxy/rewrite.h"
#include "proxy/worker.h"

namespace connperf::proxy {

bool ProxyWorker::request_head(std::uint32_t id) {
  Session& s = sessions_[id];
  if (s.up.buffered() == 0) {
    if (s.up.eof) return close_session(id), true;
    s.up.release(buffers_);
    s.down.release(buffers_);
    return false;
  }
  const std::string_view data = s.up.unframed();
  std::size_t end = 0, skip = 0;
  switch (proto::find_head_end(data, proto::kMaxRequestLine, proto::kMaxHeaderBytes, end, skip)) {
    case proto::HeadScan::NeedMore:
      if (s.up.eof) return close_session(id), true;  // a client gave up halfway through a head
      return false;
    case proto::HeadScan::LineTooLong:
      return fail(id, 414, "the request line is longer than 8 KiB"), true;
    case proto::HeadScan::TooLarge:
      return fail(id, 431, "the request head is larger than 16 KiB"), true;
    case proto::HeadScan::Malformed:
      return fail(id, 400, "control character or bare CR in the request head"), true;
    case proto::HeadScan::Complete:
      break;
  }
  if (const char* why = proto::parse_request_head(data.substr(skip, end - skip), head_))
    return fail(id, proto::refusal_status(why), why), true;
  start_request(id, end);
  return true;
}

void ProxyWorker::start_request(std::uint32_t id, std::size_t head_len) {
  if (head_.method == "CONNECT") return start_tunnel(id, head_len);
  proto::AbsoluteUri uri;
  proto::BodyFramer::Kind kind{};
  std::uint64_t length = 0;
  if (!forwardable(id, uri, kind, length)) return;
  Session& s = sessions_[id];
  Exchange& ex = s.ex;
  ex.client_asks_keep_alive = head_.keep_alive();
  ex.client_minor = static_cast<std::uint8_t>(head_.minor);
  ex.method = head_.method == "HEAD" ? Method::Head : Method::Other;
  ex.ambiguous = head_.info.underscore_framing;
  upstream_request(head_, uri, !ex.ambiguous, s.up.head);  // kept for others unless ambiguous
  s.up.head_off = 0;
  const bool same = s.upstream >= 0 && s.port == uri.port && s.host == uri.host;
  if (!same) {
    if (s.upstream >= 0) park_upstream(s);  // under its own origin's key, before it changes
    s.host.assign(uri.host);
    s.port = uri.port;
    s.addrs.clear();  // they were the old origin's
  }
  s.up.drop(head_len);
  ex.request_body.start(kind, length);
  ex.bodyless = kind == proto::BodyFramer::Kind::Length && length == 0;
  stats_.add(ProxyCount::Requests);
  if (!same && !take_pooled(id)) return lookup(id);
  ex.upstream = UpstreamConn::Kept;
  stats_.add(ProxyCount::UpstreamReused);
  s.phase = Phase::Exchange;
}

bool ProxyWorker::forwardable(std::uint32_t id, proto::AbsoluteUri& uri,
                              proto::BodyFramer::Kind& kind, std::uint64_t& length) {
  if (head_.method == "TRACE") return fail(id, 405, "TRACE is not forwarded"), false;
  if (head_.target.front() == '/' || head_.target == "*")
    return fail(id, 400, "a proxy needs an absolute URI (http://host/path) in the request"), false;
  if (const char* why = proto::parse_absolute_uri(head_.target, uri))
    return fail(id, 400, why), false;
  if (!proto::iequals(uri.scheme, "http"))
    return fail(id, 501,
                fmt::format("scheme '{}' is not supported (use CONNECT for https)", uri.scheme)),
           false;
  proto::request_body(head_.info, kind, length);  // the head passed check_request
  return true;
}

void ProxyWorker::start_tunnel(std::uint32_t id, std::size_t head_len) {
  Session& s = sessions_[id];
  std::string_view host;
  std::uint16_t port = 0;
  if (const char* why = proto::parse_authority(head_.target, host, port)) return fail(id, 400, why);
  if (!spec_.connect_ports.contains(port))
    return fail(id, 403,
                fmt::format("CONNECT to port {} is not allowed (--connect-ports {})", port,
                            spec_.connect_ports.to_string()));
  s.host.assign(host);
  s.port = port;
  s.up.drop(head_len);
  s.ex.method = Method::Connect;
  s.close_upstream();
  lookup(id);
}

bool ProxyWorker::exchange(std::uint32_t id) {
  const Exchange& ex = sessions_[id].ex;
  Step step = Step::Idle;
  if (!ex.request_done && !go_on(step, frame_request(id))) return true;
  if (!go_on(step, flush_up(id))) return true;
  if (ex.reply == Reply::Head && !go_on(step, response_head(id))) return true;
  if (ex.reply == Reply::Body && !go_on(step, response_body(id))) return true;
  if (!go_on(step, flush_down(id))) return true;
  if (ex.reply == Reply::Done && !sessions_[id].down.out_pending())
    return end_exchange(id), true;
  return step != Step::Idle;
}

Step ProxyWorker::frame_request(std::uint32_t id) {
  Session& s = sessions_[id];
  std::size_t used = 0;
  const std::string_view in = s.up.unframed();
  const proto::FrameStatus st = s.ex.request_body.feed(in.data(), in.size(), used);
  s.up.pass += used;
  if (st == proto::FrameStatus::Error) return fail(id, 400, s.ex.request_body.error()), Step::Ended;
  if (st == proto::FrameStatus::Complete) {
    s.ex.request_done = true;
    return Step::Moved;
  }
  if (s.up.eof) return client_failed(id), Step::Ended;  // the body ended early
  return used > 0 ? Step::Moved : Step::Idle;
}

Step ProxyWorker::response_head(std::uint32_t id) {
  Session& s = sessions_[id];
  for (Step step = Step::Idle;; step = Step::Moved) {
    const std::string_view data = s.down.unframed();
    std::size_t end = 0, skip = 0;
    const proto::HeadScan scan =
        proto::find_head_end(data, proto::kMaxHeaderBytes, proto::kMaxHeaderBytes, end, skip);
    if (scan == proto::HeadScan::NeedMore) {
      const std::string_view start = data.substr(skip);
      if (start != "\r" && !proto::could_start_response(start))
        return upstream_broken(id, "the upstream's reply is not HTTP"), Step::Ended;
      if (s.down.eof) return upstream_ended(id), Step::Ended;
      return step;
    }
    if (scan == proto::HeadScan::Malformed)
      return upstream_broken(id, "bad response from the upstream: control character or bare CR"),
             Step::Ended;
    if (scan != proto::HeadScan::Complete)
      return upstream_broken(id, "the upstream's response head is larger than 16 KiB"),
             Step::Ended;
    if (const char* why = proto::parse_response_head(data.substr(skip, end - skip), head_))
      return upstream_broken(id, fmt::format("bad response from the upstream: {}", why)),
             Step::Ended;
    if (head_.status == 101)
      return upstream_broken(id, "the upstream switched protocols"), Step::Ended;
    const bool interim = head_.status < 200;
    if (interim && ++s.ex.interims > kMaxInterims)
      return upstream_broken(id, "the upstream sent too many 1xx responses"), Step::Ended;
    if (s.down.head_off == s.down.head.size()) s.down.reset_head();  // what was sent is done
    if (!interim)
      start_response(id);
    else if (s.ex.client_minor >= 1)
      client_response(head_, s.ex.client_minor, true, s.down.head);
    s.down.drop(skip + end);
    if (!interim) return Step::Moved;
  }
}

void ProxyWorker::start_response(std::uint32_t id) {
  Session& s = sessions_[id];
  Exchange& ex = s.ex;
  proto::BodyFramer::Kind kind{};
  std::uint64_t length = 0;
  proto::response_body(head_.info, head_.status, ex.method == Method::Head, kind, length);
  const bool delimited = kind != proto::BodyFramer::Kind::UntilClose;
  ex.proxy_keeps_client =
      ex.client_asks_keep_alive && delimited && ex.request_done && !ex.ambiguous;
  // A response with a field named like framing may have meant more bytes than we framed.
  ex.proxy_keeps_upstream =
      delimited && head_.keep_alive() && !ex.ambiguous && !head_.info.underscore_framing;
  client_response(head_, ex.client_minor, ex.proxy_keeps_client, s.down.head);
  ex.response_body.start(kind, length);
  ex.reply = Reply::Body;
}

Step ProxyWorker::response_body(std::uint32_t id) {
  Session& s = sessions_[id];
  std::size_t used = 0;
  const std::string_view in = s.down.unframed();
  const proto::FrameStatus st = s.ex.response_body.feed(in.data(), in.size(), used);
  s.down.pass += used;
  if (st == proto::FrameStatus::Error)
    return upstream_broken(id, s.ex.response_body.error()), Step::Ended;
  if (st == proto::FrameStatus::Complete) {
    s.ex.reply = Reply::Done;
    if (s.down.pass < s.down.buffered()) {  // bytes after the response: not reusable
      s.ex.proxy_keeps_upstream = false;
      s.down.discard_unframed();
    }
    return Step::Moved;
  }
  if (!s.down.eof) return used > 0 ? Step::Moved : Step::Idle;
  if (s.ex.response_body.until_close() && !s.upstream_failed) {
    s.ex.reply = Reply::Done;
    s.ex.proxy_keeps_upstream = false;
    return Step::Moved;
  }
  return upstream_broken(id, "the upstream closed before the end of its response"), Step::Ended;
}

void ProxyWorker::upstream_ended(std::uint32_t id) {
  Session& s = sessions_[id];
  if (s.ex.upstream == UpstreamConn::Kept && s.ex.bodyless && s.down.buffered() == 0 &&
      !s.ex.reply_started()) {
    s.ex.upstream = UpstreamConn::Resent;
    s.close_upstream();
    s.up.head_off = 0;
    return lookup(id);
  }
  upstream_broken(id, s.upstream_failed ? "the upstream reset the connection"
                                        : "the upstream closed the connection without a response");
}

void ProxyWorker::upstream_broken(std::uint32_t id, std::string_view why) {
  Session& s = sessions_[id];
  stats_.add(ProxyCount::UpstreamResets);
  if (!s.ex.reply_started()) return fail(id, 502, why);
  s.down.discard_unframed();
  s.cut_short = true;  // what arrived goes out, then a reset: the response was cut short
  start_closing(id);
}

void ProxyWorker::end_exchange(std::uint32_t id) {
  Session& s = sessions_[id];
  stats_.add(ProxyCount::Responses);
  if (!s.ex.request_done || s.up.out_pending()) {
    s.ex.proxy_keeps_upstream = false;
    s.up.drop(s.up.pass);  // this request's body the origin did not wait for: never the next's
    s.up.pass = 0;
  }
  if (!s.ex.proxy_keeps_upstream)
    s.close_upstream();
  else if (!s.ex.proxy_keeps_client)
    park_upstream(s);
  if (!s.ex.proxy_keeps_client) return start_closing(id);
  s.ex = Exchange{};  // the next request starts afresh
  s.phase = Phase::Head;
  s.head_since = loop::now_ns();  // a pipelined head may be here already
  s.up.reset_head();
  s.down.reset_head();
}

}  // namespace connperf::proxy
