// What the load engines send: one request builder for crr, rr and cc, so the same flags give the
// same bytes to the same target in every engine.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace connperf::proto {

// Http: "GET / HTTP/1.1" with Host = the target as given; Raw: "Get." (any reply completes);
// Text: the user's bytes as they are.
enum class RequestKind : std::uint8_t { Http, Raw, Text };

const char* to_string(RequestKind kind) noexcept;

inline constexpr std::string_view kRawRequest = "Get.";

// The bytes sent to the target named `host` ("127.0.0.1:8080", as written on the command line).
std::string request_bytes(RequestKind kind, std::string_view host, std::string_view text);

}  // namespace connperf::proto
