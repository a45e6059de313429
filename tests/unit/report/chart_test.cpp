// Charts with gaps.
#include <gtest/gtest.h>

#include <optional>
#include <regex>
#include <string>

#include "report/chart.h"

namespace connperf::report {
namespace {

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(Chart, GapsStartANewSubPathAndHaveNoMark) {
  Chart c{"t", "title", {"time (s)", Unit::Seconds, false}, {"connections/s", Unit::Count, false},
          {{"run", "#000", {{1, 10.0}, {2, 12.0}, {3, std::nullopt}, {4, 11.0}, {5, 9.0}}}}};
  const std::string svg = render_svg(c);
  EXPECT_EQ(count(svg, "class=\"pt\""), 4u);
  EXPECT_EQ(count(svg, "data-marks=\"4\""), 1u);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(svg, m, std::regex("<path d=\"([^\"]*)\"")));
  EXPECT_EQ(count(m[1].str(), "M"), 2u) << m[1];  // two runs of points, not a drop to zero
  EXPECT_NE(svg.find(">connections/s<"), std::string::npos);
  EXPECT_NE(svg.find(">run<"), std::string::npos);  // legend
}

}  // namespace
}  // namespace connperf::report
