// What the proxy writes instead of what it received (RFC 9110 7.6, RFC 9112 3.2.2): the request
// head for the origin, the response head for the client, and the proxy's own error replies.
// Pure functions, tested without sockets.
#pragma once

#include <string>
#include <string_view>

#include "proto/http_head.h"

namespace connperf::proxy {

// The origin-form request for `uri`'s origin: Host from the URI (a received Host is ignored),
// hop-by-hop fields dropped, the framing written one way only (proto::append_end_to_end:
// `Transfer-Encoding: chunked` however it was spelled, Content-Length in plain decimal, no
// Content_Length), Via added. keep_alive: false asks the origin to close after its response.
void upstream_request(const proto::Head& req, const proto::AbsoluteUri& uri, bool keep_alive,
                      std::string& out);

// The response head for the client: hop-by-hop fields dropped, framing written one way only as
// for requests, Via added, and a Connection field saying whether the client connection stays
// open (client_minor: the client's HTTP/1.x).
void client_response(const proto::Head& resp, int client_minor, bool keep_alive, std::string& out);

// "HTTP/1.1 502 Bad Gateway" with a one-line text/plain body "502 Bad Gateway: why", and
// Connection: close.
std::string error_reply(int status, std::string_view why);
std::string_view reason_phrase(int status) noexcept;

inline constexpr std::string_view kConnectEstablished =
    "HTTP/1.1 200 Connection Established\r\nVia: 1.1 connperf\r\n\r\n";

}  // namespace connperf::proxy
