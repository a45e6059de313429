// Where the load engines (crr, rr, cc) connect, from where, and what they send: the part of their
// specs that the same flags fill the same way (targets, --bind, --request).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "net/address.h"
#include "proto/object.h"
#include "proto/request.h"

namespace connperf::load {

using proto::RequestKind;
using proto::to_string;

struct Target {
  net::SockAddr addr;
  std::string name;  // as given on the command line; the HTTP Host header
};

struct Targets {
  std::vector<Target> targets;       // round-robin over new connections
  std::vector<net::SockAddr> binds;  // source addresses, round-robin within the target's family;
                                     // empty = the kernel's choice
  RequestKind request = RequestKind::Http;
  std::string text;                  // the request bytes for RequestKind::Text
  proto::ObjectSet objects;          // --object (Http): the sizes requests ask for by path
  std::optional<net::SockAddr> proxy;  // crr --proxy: connect here, then CONNECT to the target


  // The request bytes for each target, in target order; with --object for each target and
  // size (load::ObjectLoad::request_index).
  std::vector<std::string> requests() const;
};

}  // namespace connperf::load
