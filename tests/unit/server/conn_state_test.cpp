// Every state of the epoll model's connection has a distinct name for logs.
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "server/conn_state.h"

namespace connperf::server {
namespace {

TEST(ConnState, EveryStateHasItsOwnName) {
  std::set<std::string> names;
  for (ConnState s : {ConnState::Free, ConnState::Reading, ConnState::Paused, ConnState::Closing,
                      ConnState::PeerClosed, ConnState::WriteShut})
    names.insert(to_string(s));
  EXPECT_EQ(names.size(), 6u);
  EXPECT_EQ(names.count("?"), 0u);
  EXPECT_STREQ(to_string(ConnState::PeerClosed), "peer-closed");
}

}  // namespace
}  // namespace connperf::server
