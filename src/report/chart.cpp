#include "report/chart.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace connperf::report {

namespace {

constexpr double kWidth = 720, kHeight = 300;
constexpr double kLeft = 64, kRight = 16, kTop = 34, kBottom = 46;

// Maps data to pixels on one axis, linear or log.
struct Scale {
  double lo, hi, from, to;
  bool log;
  double operator()(double v) const {
    const double a = log ? std::log10(lo) : lo, b = log ? std::log10(hi) : hi;
    const double x = log ? std::log10(std::max(v, lo)) : v;
    return from + (x - a) / (b - a) * (to - from);
  }
};

struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void add(double v) { lo = std::min(lo, v); hi = std::max(hi, v); }
  bool empty() const { return lo > hi; }
};

std::vector<double> ticks_for(const Axis& axis, Range r, bool from_zero) {
  if (r.empty()) r = {0, 1};
  if (axis.log) return log_ticks(std::max(r.lo, 1e-9), r.hi);
  if (from_zero) r.lo = std::min(r.lo, 0.0);
  return linear_ticks(r.lo, r.hi);
}

std::string num(double v) { return fmt::format("{:.1f}", v); }

std::string axes(const Chart& c, const std::vector<double>& xt, const std::vector<double>& yt,
                 const Scale& sx, const Scale& sy) {
  std::string out = "<g class=\"axes\">";
  for (double t : yt)
    out += fmt::format(
        "<line class=\"grid\" x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\"/>"
        "<text class=\"tick\" x=\"{3}\" y=\"{4}\" text-anchor=\"end\">{5}</text>",
        num(kLeft), num(kWidth - kRight), num(sy(t)), num(kLeft - 6), num(sy(t) + 4),
        escape(tick_label(t, c.y.unit)));
  for (double t : xt)
    out += fmt::format(
        "<line class=\"tickmark\" x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\"/>"
        "<text class=\"tick\" x=\"{0}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>",
        num(sx(t)), num(kHeight - kBottom), num(kHeight - kBottom + 5), num(kHeight - kBottom + 18),
        escape(tick_label(t, c.x.unit)));
  out += fmt::format(
      "<line class=\"axis\" x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\"/>"
      "<line class=\"axis\" x1=\"{0}\" x2=\"{0}\" y1=\"{3}\" y2=\"{2}\"/>"
      "<text class=\"label\" x=\"{4}\" y=\"{5}\" text-anchor=\"middle\">{6}</text>"
      "<text class=\"label\" transform=\"translate(14 {7}) rotate(-90)\" "
      "text-anchor=\"middle\">{8}</text></g>",
      num(kLeft), num(kWidth - kRight), num(kHeight - kBottom), num(kTop),
      num((kLeft + kWidth - kRight) / 2), num(kHeight - 8), escape(c.x.label),
      num((kTop + kHeight - kBottom) / 2), escape(c.y.label));
  return out;
}

// The runs of consecutive points that have data: each one sub-path.
std::vector<std::vector<std::pair<double, double>>> segments(const Series& s, const Scale& sx,
                                                              const Scale& sy) {
  std::vector<std::vector<std::pair<double, double>>> out;
  bool open = false;
  for (const Point& p : s.points) {
    if (!p.y) {
      open = false;
      continue;
    }
    if (!open) out.emplace_back();
    open = true;
    out.back().emplace_back(sx(p.x), sy(*p.y));
  }
  return out;
}

std::string series_svg(const Series& s, std::size_t index, const Chart& c, const Scale& sx,
                       const Scale& sy) {
  std::string d;
  const double base = sy(c.y.log ? sy.lo : std::max(sy.lo, 0.0));
  for (const auto& seg : segments(s, sx, sy)) {
    for (std::size_t i = 0; i < seg.size(); ++i)
      d += fmt::format("{}{} {} ", i == 0 ? 'M' : 'L', num(seg[i].first), num(seg[i].second));
    if (s.area) d += fmt::format("L{} {} L{} {} Z ", num(seg.back().first), num(base),
                                 num(seg.front().first), num(base));
  }
  std::size_t marks = 0;
  std::string dots;
  for (const Point& p : s.points) {
    if (!p.y) continue;
    ++marks;
    if (!s.dots) continue;
    dots += fmt::format("<circle class=\"pt\" cx=\"{}\" cy=\"{}\" r=\"2.2\"><title>{}: {}, {}"
                        "</title></circle>",
                        num(sx(p.x)), num(sy(*p.y)), escape(s.label),
                        escape(tick_label(p.x, c.x.unit)), escape(tick_label(*p.y, c.y.unit)));
  }
  const std::string style =
      s.area ? fmt::format("fill=\"{}\" fill-opacity=\"0.35\" stroke=\"none\"", s.color)
             : fmt::format("fill=\"none\" stroke=\"{}\" stroke-width=\"1.8\"{}", s.color,
                           s.dashed ? " stroke-dasharray=\"5 3\"" : "");
  return fmt::format("<g class=\"series\" data-series=\"{}\" data-index=\"{}\" data-marks=\"{}\" "
                     "fill=\"{}\"><path d=\"{}\" {}/>{}</g>",
                     escape(s.label), index, marks, s.color, d, style, dots);
}

std::string legend(const Chart& c) {
  std::string out = "<g class=\"legend\">";
  double x = kLeft;
  for (const Series& s : c.series) {
    out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"{}\" fill=\"{}\"{}/>"
                       "<text class=\"key\" x=\"{}\" y=\"{}\">{}</text>",
                       num(x), s.area ? "14" : "18", s.area ? "10" : "3", s.color,
                       s.area ? " fill-opacity=\"0.35\"" : "", num(x + 16), "23",
                       escape(s.label));
    x += 28 + 6.5 * static_cast<double>(s.label.size());
  }
  return out + "</g>";
}

}  // namespace

std::string escape(const std::string& text) {
  std::string out;
  for (char ch : text) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += ch;
    }
  }
  return out;
}

std::string render_svg(const Chart& c) {
  Range rx, ry;
  for (const Series& s : c.series)
    for (const Point& p : s.points) {
      rx.add(p.x);
      if (p.y && (!c.y.log || *p.y > 0)) ry.add(*p.y);
    }
  const std::vector<double> xt = ticks_for(c.x, rx, false);
  const std::vector<double> yt = ticks_for(c.y, ry, true);
  const Scale sx{xt.front(), xt.back(), kLeft, kWidth - kRight, c.x.log};
  const Scale sy{yt.front(), yt.back(), kHeight - kBottom, kTop, c.y.log};
  std::string out = fmt::format(
      "<figure><figcaption>{}</figcaption><svg class=\"chart\" data-chart=\"{}\" "
      "viewBox=\"0 0 {} {}\" width=\"{}\" height=\"{}\" role=\"img\" "
      "xmlns=\"http://www.w3.org/2000/svg\">",
      escape(c.title), escape(c.id), kWidth, kHeight, kWidth, kHeight);
  out += axes(c, xt, yt, sx, sy);
  for (std::size_t i = 0; i < c.series.size(); ++i) out += series_svg(c.series[i], i, c, sx, sy);
  out += legend(c);
  return out + "</svg></figure>\n";
}

}  // namespace connperf::report
