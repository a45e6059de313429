// Launcher detection: an MPI launch or one plain process.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "ranks/comm.h"

namespace connperf::ranks {
namespace {

TEST(DistLaunch, OnlyALauncherVariableMeansMpi) {
  std::map<std::string, std::string> env;
  auto get = [&env](const char* n) -> const char* {
    const auto it = env.find(n);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  EXPECT_EQ(launcher_variable(get), "");
  env["OMPI_COMM_WORLD_SIZE"] = "";
  EXPECT_EQ(launcher_variable(get), "");
  env["PMI_RANK"] = "3";
  EXPECT_EQ(launcher_variable(get), "PMI_RANK");
  env["OMPI_COMM_WORLD_SIZE"] = "4";
  EXPECT_EQ(launcher_variable(get), "OMPI_COMM_WORLD_SIZE");
}

TEST(DistLaunch, APlainProcessIsOneRank) {
  EXPECT_EQ(world().size(), 1u);
  EXPECT_EQ(world().rank(), 0u);
  EXPECT_EQ(world().gather("x"), std::vector<std::string>{"x"});
}

}  // namespace
}  // namespace connperf::ranks
