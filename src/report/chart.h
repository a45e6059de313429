// One chart as inline SVG: axes with readable ticks and unit labels, a legend whose swatches
// look like their series (solid, dashed, area, bars), line series whose missing points are gaps
// (a new sub-path, never a drop to zero), filled areas, bars, and a mark per point (class "pt",
// a dot or a bar, with a <title> tooltip) so a reader, or a test, can count what was drawn. A
// chart with no data at all is a sentence, not an empty frame. Pure: data in, markup out.
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
  bool bars = false;  // a bar per point from zero; several bar series stand side by side
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
  std::string empty_text = "no data to draw";  // said instead of the chart when nothing has data
};

std::string render_svg(const Chart& chart);

// Escapes text for HTML and SVG (&, <, >, ").
std::string escape(const std::string& text);

}  // namespace connperf::report
