// One chart as inline SVG: axes with readable ticks and unit labels, a legend, line series whose
// missing points are gaps (a new sub-path, never a drop to zero), filled areas and a dot per
// point (class "pt", with a <title> tooltip) so a reader, or a test, can count what was drawn.
// Pure: data in, markup out.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "report/axis.h"

namespace connperf::report {

struct Point {
  double x;
  std::optional<double> y;  // nullopt: no data here (a gap)
};

struct Series {
  std::string label;
  std::string color;
  std::vector<Point> points;
  bool dashed = false;
  bool area = false;  // filled down to the axis (errors under a rate)
  bool dots = true;
};

struct Axis {
  std::string label;  // with its unit, e.g. "connections/s"
  Unit unit = Unit::Count;
  bool log = false;
};

struct Chart {
  std::string id;     // data-chart attribute
  std::string title;
  Axis x, y;
  std::vector<Series> series;
};

std::string render_svg(const Chart& chart);

// Escapes text for HTML and SVG (&, <, >, ").
std::string escape(const std::string& text);

}  // namespace connperf::report
