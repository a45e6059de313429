// A tiny blocking HTTP/1.1 GET for reading a server's live stats (`--server-stats URL`) at the
// start and end of a run: never on a load path. One request per connection, bounded in time and
// size.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "net/address.h"

namespace connperf::client {

// What could not be fetched; what() is one line for the user.
class HttpGetError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct HttpUrl {
  std::string authority;  // as written, for Host
  net::SockAddr addr;     // resolved once, here
  std::string path;       // origin form, "/" when empty
};
// "http://HOST:PORT[/path]" (the port defaults to 80). Throws HttpGetError.
HttpUrl parse_http_url(std::string_view url);

struct HttpReply {
  int status = 0;
  std::string body;
};

inline constexpr std::size_t kMaxReply = 16 * 1024 * 1024;

// GETs `path` (or url.path when empty); the whole exchange within timeout_ms. Throws HttpGetError.
HttpReply http_get(const HttpUrl& url, std::string_view path, int timeout_ms);

}  // namespace connperf::client
