// The strict HTTP/1.1 rules as a table of raw messages and the verdict each must get (RFC 9112,
// RFC 9110; cases written after the kinds of vectors in public parser corpora such as llhttp's).
// One table serves the framers' unit tests and the integration tests that send each case over
// a socket to `connperf server --mode http` and to `connperf proxy`. Usable from both.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace connperf::test {

// A request: "%T" stands for the request target ("/" for a server, an absolute URI for a proxy).
// status: 200 (complete and well-formed), 400, or 501 (a transfer coding other than chunked).
// Every 200 case asks for the connection to close, so each case ends with a close.
struct RequestCase {
  const char* name;
  std::string bytes;
  int status;
};

inline std::string with_target(std::string_view bytes, std::string_view target) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes.substr(i, 2) == "%T") {
      out.append(target);
      ++i;
    } else {
      out.push_back(bytes[i]);
    }
  }
  return out;
}

// Bytes as hex digits (for a peer that answers with bytes given on its command line or URL).
inline std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) out.append({kDigits[c >> 4], kDigits[c & 15]});
  return out;
}

// Transfer-Encoding field lines that name chunked once and nothing else, in the spellings a
// list allows (empty elements, whitespace, any case, a second field): every reader must take
// them as chunked, and the proxy forwards each as exactly "Transfer-Encoding: chunked".
struct ChunkedSpelling {
  const char* name;
  const char* fields;  // one or more field lines, each ending in CR LF
};

inline const std::vector<ChunkedSpelling>& chunked_spellings() {
  static const std::vector<ChunkedSpelling> spellings = {
      {"chunked after an empty element", "Transfer-Encoding: ,chunked\r\n"},
      {"chunked after a comma and a space", "Transfer-Encoding: , chunked\r\n"},
      {"chunked before an empty element", "Transfer-Encoding: chunked,\r\n"},
      {"chunked among empty elements", "Transfer-Encoding: , ,chunked , ,\r\n"},
      {"Chunked", "Transfer-Encoding: Chunked\r\n"},
      {"CHUNKED", "Transfer-Encoding: CHUNKED\r\n"},
      {"chunked in a lower-case field name", "transfer-encoding: cHuNkEd\r\n"},
      {"chunked after an empty field", "Transfer-Encoding: \r\nTransfer-Encoding: chunked\r\n"},
      {"chunked before an empty field", "Transfer-Encoding: chunked\r\nTransfer-Encoding: ,\r\n"},
  };
  return spellings;
}

// The request cases of each chunked spelling: a POST with an empty chunked body, well-formed.
inline std::vector<RequestCase> chunked_spelling_cases() {
  std::vector<RequestCase> cases;
  for (const ChunkedSpelling& s : chunked_spellings())
    cases.push_back({s.name,
                     std::string("POST %T HTTP/1.1\r\nHost: a\r\nConnection: close\r\n") +
                         s.fields + "\r\n0\r\n\r\n",
                     200});
  return cases;
}

inline const std::vector<RequestCase>& request_cases() {
  using namespace std::string_literals;
  static const std::string get = "GET %T HTTP/1.1\r\nHost: a\r\n";
  static const std::string close = "Connection: close\r\n\r\n";
  static const std::string post = "POST %T HTTP/1.1\r\nHost: a\r\nConnection: close\r\n";
  static const std::string chunked = post + "Transfer-Encoding: chunked\r\n\r\n";
  static const std::vector<RequestCase> cases = {
      // Well-formed: answered, then closed as asked.
      {"plain GET", get + close, 200},
      {"bare LF line ends in the head (RFC 9112 2.2)", "GET %T HTTP/1.1\nHost: a\nConnection: close\n\n", 200},
      {"empty line before the request", "\r\n" + get + close, 200},
      {"HTAB and obs-text in a value", get + "X-A: a\tb\xe9\xff\r\n" + close, 200},
      {"HTTP/1.0 without Host", "GET %T HTTP/1.0\r\n\r\n", 200},
      {"Content-Length body", post + "Content-Length: 5\r\n\r\nhello", 200},
      {"chunked body with extensions and a trailer",
       chunked + "5;a=b;c=\"d \\\" e\"\r\nhello\r\n1 ; x\r\n!\r\n0\r\nX-T: 1\r\n\r\n", 200},
      {"chunked named once in a list with an empty element",
       post + "Transfer-Encoding: ,chunked\r\n\r\n0\r\n\r\n", 200},
      // Bare CR anywhere: an error at once (these heads never end in LF: they used to wait).
      {"bare CR line ends", "GET %T HTTP/1.1\rHost: a\r\r", 400},
      {"bare CR after the request line", "GET %T HTTP/1.1\r\rHost: a\r\n\r\n", 400},
      {"bare CR before the empty line", get + "\r\r\n", 400},
      {"bare CR ending the last field", get + "X: y\r\r", 400},
      {"bare CR inside a value", get + "X: a\rb\r\n" + close, 400},
      {"bare CR inside a name", get + "X\r: b\r\n" + close, 400},
      {"bare CR before the request line", "\r" + get + close, 400},
      {"CR inside the request target", "GET /a\rb HTTP/1.1\r\nHost: a\r\n" + close, 400},
      // The request target: visible ASCII only (RFC 9112 3.2), checked to its last byte however
      // long (only the first 240 bytes of a line are kept).
      {"UTF-8 in the request target", "GET %Tcaf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n" + close, 400},
      {"0x80 in the request target", "GET %T\x80 HTTP/1.1\r\nHost: a\r\n" + close, 400},
      {"0xFF in the request target", "GET %Ta\xff HTTP/1.1\r\nHost: a\r\n" + close, 400},
      {"DEL in the request target", "GET %Ta\x7f HTTP/1.1\r\nHost: a\r\n" + close, 400},
      {"HTAB in the request target", "GET %Ta\tb HTTP/1.1\r\nHost: a\r\n" + close, 400},
      {"non-ASCII 300 bytes into the target",
       "GET %T" + std::string(300, 'a') + "\xe9 HTTP/1.1\r\nHost: a\r\n" + close, 400},
      {"HTAB 300 bytes into the target",
       "GET %T" + std::string(300, 'a') + "\tb HTTP/1.1\r\nHost: a\r\n" + close, 400},
      {"SP 300 bytes into the target",
       "GET %T" + std::string(300, 'a') + " b HTTP/1.1\r\nHost: a\r\n" + close, 400},
      {"a 300-byte target of visible ASCII",
       "GET %T" + std::string(300, 'a') + "~%20 HTTP/1.1\r\nHost: a\r\n" + close, 200},
      // Controls in names and values.
      {"NUL in a value", get + "X: a\0b\r\n"s + close, 400},
      {"NUL in a name", get + "X\0Y: b\r\n"s + close, 400},
      {"BEL in a value", get + "X: a\x07\r\n" + close, 400},
      {"VT in a value", get + "X: a\x0b" "b\r\n" + close, 400},
      {"FF in a value", get + "X: a\x0c\r\n" + close, 400},
      {"DEL in a value", get + "X: a\x7f\r\n" + close, 400},
      {"ESC in a name", get + "X\x1b: b\r\n" + close, 400},
      {"NUL in the method", "GE\0T %T HTTP/1.1\r\nHost: a\r\n"s + close, 400},
      {"NUL after the version", "GET %T HTTP/1.1\0\r\nHost: a\r\n"s + close, 400},
      {"binary that is not HTTP (a TLS ClientHello)", "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03"s, 400},
      {"NUL bytes only", "\0\0\0\0"s, 400},
      // Field names: tchar only, a colon, no folding.
      {"brackets in a name", get + "X-Invalid[]: b\r\n" + close, 400},
      {"space before the colon", "GET %T HTTP/1.1\r\nHost : a\r\n" + close, 400},
      {"empty name", get + ": b\r\n" + close, 400},
      {"no colon", get + "NoColon\r\n" + close, 400},
      {"obsolete line folding", get + "X: a\r\n b\r\n" + close, 400},
      {"non-ASCII in a name", get + "X\xe9: b\r\n" + close, 400},
      // Host: exactly one in HTTP/1.1.
      {"no Host in HTTP/1.1", "GET %T HTTP/1.1\r\n" + close, 400},
      {"two Host fields", get + "Host: b\r\n" + close, 400},
      {"two Host fields in HTTP/1.0", "GET %T HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", 400},
      // The request line.
      {"trailing space after the version", "GET %T HTTP/1.1 \r\nHost: a\r\n" + close, 400},
      {"two spaces after the method", "GET  %T HTTP/1.1\r\nHost: a\r\n" + close, 400},
      {"HTAB as a separator", "GET\t%T HTTP/1.1\r\nHost: a\r\n" + close, 400},
      {"lower-case version", "GET %T http/1.1\r\nHost: a\r\n" + close, 400},
      {"no version", "GET %T\r\nHost: a\r\n" + close, 400},
      {"HTTP/2.0 as a version", "GET %T HTTP/2.0\r\nHost: a\r\n" + close, 400},
      // Content-Length: one, decimal.
      {"Content-Length twice, same value", post + "Content-Length: 1\r\nContent-Length: 1\r\n\r\nx", 400},
      {"Content-Length list", post + "Content-Length: 1, 1\r\n\r\nx", 400},
      {"Content-Length with a sign", post + "Content-Length: +1\r\n\r\nx", 400},
      {"Content-Length in hex", post + "Content-Length: 0x1\r\n\r\nx", 400},
      {"Content-Length with leading zeros (decimal, never octal)",
       post + "Content-Length: 010\r\n\r\n0123456789", 200},
      // Names with '_' for '-' are no framing (a proxy drops them): no body here.
      {"Content_Length", "GET %T HTTP/1.1\r\nHost: a\r\nContent_Length: 5\r\n" + close, 200},
      {"Transfer_Encoding",
       "GET %T HTTP/1.1\r\nHost: a\r\nTransfer_Encoding: chunked\r\n" + close, 200},
      // Transfer-Encoding: chunked once and last, nothing else (501), never with Content-Length.
      {"chunked in two fields", post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {"chunked twice in a list", post + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400},
      {"Transfer-Encoding with Content-Length", post + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {"Transfer-Encoding in HTTP/1.0", "POST %T HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {"empty Transfer-Encoding", post + "Transfer-Encoding: \r\n\r\n", 400},
      {"quoted chunked", post + "Transfer-Encoding: \"chunked\"\r\n\r\n0\r\n\r\n", 400},
      {"gzip alone", post + "Transfer-Encoding: gzip\r\n\r\n", 501},
      {"gzip then chunked", post + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501},
      {"chunked then gzip", post + "Transfer-Encoding: chunked, gzip\r\n\r\n", 501},
      {"chunked with a parameter", post + "Transfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n", 501},
      // Chunked framing: CRLF only, strict hex, bounded extensions.
      {"bare LF after a chunk size", chunked + "3\nabc\r\n0\r\n\r\n", 400},
      {"chunk data ended by a bare LF", chunked + "3\r\nabc\n0\r\n\r\n", 400},
      {"last chunk ended by a bare LF", chunked + "3\r\nabc\r\n0\n\r\n", 400},
      {"trailer section ended by a bare LF", chunked + "0\r\n\n", 400},
      {"bare CR inside a chunk extension", chunked + "3;a\rb\r\nabc\r\n0\r\n\r\n", 400},
      {"bare CR ending chunk data", chunked + "3\r\nabc\r0\r\n\r\n", 400},
      {"chunk data longer than its size", chunked + "3\r\nabcd\r\n0\r\n\r\n", 400},
      {"space before a chunk size", chunked + " 3\r\nabc\r\n0\r\n\r\n", 400},
      {"space after a chunk size", chunked + "3 \r\nabc\r\n0\r\n\r\n", 400},
      {"0x before a chunk size", chunked + "0x3\r\nabc\r\n0\r\n\r\n", 400},
      {"sign before a chunk size", chunked + "+3\r\nabc\r\n0\r\n\r\n", 400},
      {"empty chunk size", chunked + "\r\nabc\r\n0\r\n\r\n", 400},
      {"chunk size past 2^60", chunked + "10000000000000000\r\nabc\r\n", 400},
      {"chunk extension without a name", chunked + "3;\r\nabc\r\n0\r\n\r\n", 400},
      {"chunk extension with an open quote", chunked + "3;a=\"b\r\nabc\r\n0\r\n\r\n", 400},
      {"chunk extension of 300 bytes", chunked + "3;" + std::string(300, 'e') + "\r\nabc\r\n0\r\n\r\n", 400},
      {"NUL in a chunk extension", chunked + "3;a\0\r\nabc\r\n0\r\n\r\n"s, 400},
      {"bad trailer name", chunked + "0\r\nX[]: 1\r\n\r\n", 400},
      {"NUL in a trailer value", chunked + "0\r\nX: \0\r\n\r\n"s, 400},
  };
  static const std::vector<RequestCase> all = [] {
    std::vector<RequestCase> v = cases;
    for (RequestCase& c : chunked_spelling_cases()) v.push_back(std::move(c));
    return v;
  }();
  return all;
}

// A response as received by a client (crr, rr) or by the proxy from an origin.
// ok: complete and well-formed; else malformed (bad_response for a client, 502 from the proxy).
struct ResponseCase {
  const char* name;
  std::string bytes;
  bool ok;
};

inline const std::vector<ResponseCase>& response_cases() {
  using namespace std::string_literals;
  static const std::string ok = "HTTP/1.1 200 OK\r\n";
  static const std::string te = ok + "Transfer-Encoding: chunked\r\n\r\n";
  static const std::vector<ResponseCase> cases = {
      {"Content-Length", ok + "Content-Length: 2\r\n\r\nhi", true},
      {"bare LF line ends", "HTTP/1.1 200 OK\nContent-Length: 2\n\nhi", true},
      {"chunked with a trailer", te + "2;x=y\r\nhi\r\n0\r\nX: 1\r\n\r\n", true},
      {"gzip, chunked", ok + "Transfer-Encoding: gzip, chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n", true},
      {"HTAB in a value and an empty reason", "HTTP/1.1 200 \r\nX: a\tb\r\nContent-Length: 2\r\n\r\nhi", true},
      {"bare CR line ends", "HTTP/1.1 200 OK\rContent-Length: 2\r\r\nhi", false},
      {"bare CR in a value", ok + "X: a\rb\r\nContent-Length: 2\r\n\r\nhi", false},
      {"NUL in a value", ok + "X: a\0\r\nContent-Length: 2\r\n\r\nhi"s, false},
      {"BEL in the reason", "HTTP/1.1 200 O\x07K\r\nContent-Length: 2\r\n\r\nhi", false},
      {"bad field name", ok + "X[]: 1\r\nContent-Length: 2\r\n\r\nhi", false},
      {"space before the colon", ok + "Content-Length : 2\r\n\r\nhi", false},
      {"obsolete line folding", ok + "X: a\r\n b\r\nContent-Length: 2\r\n\r\nhi", false},
      {"Content-Length twice", ok + "Content-Length: 2\r\nContent-Length: 2\r\n\r\nhi", false},
      {"Transfer-Encoding with Content-Length", ok + "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n", false},
      {"chunked twice", ok + "Transfer-Encoding: chunked, chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n", false},
      {"Transfer-Encoding in HTTP/1.0", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n", false},
      {"bare LF after a chunk size", te + "2\nhi\r\n0\r\n\r\n", false},
      {"chunk data ended by a bare LF", te + "2\r\nhi\n0\r\n\r\n", false},
      {"last chunk ended by a bare LF", te + "2\r\nhi\r\n0\n\n", false},
      {"space after a chunk size", te + "2 \r\nhi\r\n0\r\n\r\n", false},
      {"bare CR in a chunk extension", te + "2;a\rb\r\nhi\r\n0\r\n\r\n", false},
      {"not HTTP", "200 Ok.", false},
  };
  return cases;
}

}  // namespace connperf::test
