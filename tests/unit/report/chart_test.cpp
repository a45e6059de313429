// Charts with gaps, bars, swatches that look like their series, and nothing to draw said.
#include <gtest/gtest.h>

#include <optional>
#include <regex>
#include <string>
#include <vector>

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

TEST(Chart, BarsAreOneRectPerPointSideBySide) {
  Chart c{"d", "distribution", {"latency", Unit::Micros, true}, {"share", Unit::Ratio, false},
          {{"a", "#111", {{100, 0.5}, {200, 0.25}, {400, 0.25}}, false, false, false, true},
           {"b", "#222", {{100, 0.1}, {200, 0.9}}, false, false, false, true}}};
  const std::string svg = render_svg(c);
  EXPECT_EQ(count(svg, "class=\"pt bar\""), 5u);
  EXPECT_EQ(count(svg, "<circle"), 0u);
  EXPECT_EQ(count(svg, "data-swatch=\"bars\""), 2u);
  // The two series' bars at x = 100 stand side by side, not on top of each other.
  std::smatch m;
  std::vector<std::string> xs;
  const std::regex bar("class=\"pt bar\" x=\"([^\"]*)\"");
  for (std::sregex_iterator it(svg.begin(), svg.end(), bar), end; it != end; ++it)
    xs.push_back((*it)[1]);
  ASSERT_EQ(xs.size(), 5u);
  EXPECT_NE(xs[0], xs[3]);
}

TEST(Chart, LegendSwatchesDifferBetweenSolidAndDashedLines) {
  Series p50{"run p50", "#1f77b4", {{1, 10.0}, {2, 12.0}}};
  Series p99{"run p99", "#1f77b4", {{1, 50.0}, {2, 70.0}}};
  p99.dashed = true;
  const std::string svg = render_svg({"l", "latency", {"time (s)", Unit::Seconds, false},
                                      {"latency", Unit::Micros, true}, {p50, p99}});
  EXPECT_EQ(count(svg, "data-swatch=\"solid\""), 1u);
  EXPECT_EQ(count(svg, "data-swatch=\"dashed\""), 1u);
  const auto legend = svg.substr(svg.find("class=\"legend\""));
  EXPECT_EQ(count(legend, "stroke-dasharray"), 1u);
}

TEST(Chart, NothingToDrawIsASentenceNotABrokenAxis) {
  Chart c{"e", "latency", {"time (s)", Unit::Seconds, false}, {"latency", Unit::Micros, true},
          {{"run", "#000", {{1, std::nullopt}, {2, std::nullopt}}}}};
  c.empty_text = "No response completed.";
  const std::string svg = render_svg(c);
  EXPECT_EQ(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("No response completed."), std::string::npos);
  EXPECT_NE(svg.find("data-chart=\"e\""), std::string::npos);
}

}  // namespace
}  // namespace connperf::report
