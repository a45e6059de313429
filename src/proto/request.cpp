#include "proto/request.h"

#include "proto/http.h"

namespace connperf::proto {

const char* to_string(RequestKind kind) noexcept {
  switch (kind) {
    case RequestKind::Http: return "http";
    case RequestKind::Raw: return "raw";
    case RequestKind::Text: return "text";
  }
  return "?";
}

std::string request_bytes(RequestKind kind, std::string_view host, std::string_view text) {
  switch (kind) {
    case RequestKind::Http: return build_get_request(host, "/", true, "connperf/" CONNPERF_VERSION);
    case RequestKind::Raw: return std::string(kRawRequest);
    case RequestKind::Text: return std::string(text);
  }
  return {};
}

}  // namespace connperf::proto
