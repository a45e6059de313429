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

std::string mark_title(const Series& s, const Chart& c, const Point& p) {
  return fmt::format("<title>{}: {}, {}</title>", escape(s.label),
                     escape(tick_label(p.x, c.x.unit)), escape(tick_label(*p.y, c.y.unit)));
}

// Bars: each point's bar is centred on it, as wide as `slot` (the narrowest gap between two
// points of the chart's bar series) shared by the bar series side by side.
struct BarSlot {
  double width = 0;
  std::size_t index = 0, count = 1;
};

std::string bars_svg(const Series& s, const Chart& c, const Scale& sx, const Scale& sy,
                     const BarSlot& slot, std::size_t& marks) {
  const double base = sy(c.y.log ? sy.lo : std::max(sy.lo, 0.0));
  const double w = slot.width * 0.85 / static_cast<double>(slot.count);
  std::string out;
  for (const Point& p : s.points) {
    if (!p.y) continue;
    ++marks;
    const double left = sx(p.x) - slot.width * 0.425 + w * static_cast<double>(slot.index);
    const double top = std::min(sy(*p.y), base);
    out += fmt::format("<rect class=\"pt bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" "
                       "fill=\"{}\">{}</rect>",
                       num(left), num(top), num(std::max(w, 1.0)), num(std::abs(base - top)),
                       s.color, mark_title(s, c, p));
  }
  return out;
}

std::string series_svg(const Series& s, std::size_t index, const Chart& c, const Scale& sx,
                       const Scale& sy, const BarSlot& slot) {
  std::size_t marks = 0;
  std::string body;
  if (s.bars) {
    body = bars_svg(s, c, sx, sy, slot, marks);
  } else {
    std::string d;
    const double base = sy(c.y.log ? sy.lo : std::max(sy.lo, 0.0));
    for (const auto& seg : segments(s, sx, sy)) {
      for (std::size_t i = 0; i < seg.size(); ++i)
        d += fmt::format("{}{} {} ", i == 0 ? 'M' : 'L', num(seg[i].first), num(seg[i].second));
      if (s.area) d += fmt::format("L{} {} L{} {} Z ", num(seg.back().first), num(base),
                                   num(seg.front().first), num(base));
    }
    std::string dots;
    for (const Point& p : s.points) {
      if (!p.y) continue;
      ++marks;
      if (s.dots)
        dots += fmt::format("<circle class=\"pt\" cx=\"{}\" cy=\"{}\" r=\"2.2\">{}</circle>",
                            num(sx(p.x)), num(sy(*p.y)), mark_title(s, c, p));
    }
    const std::string style =
        s.area ? fmt::format("fill=\"{}\" fill-opacity=\"0.35\" stroke=\"none\"", s.color)
               : fmt::format("fill=\"none\" stroke=\"{}\" stroke-width=\"1.8\"{}", s.color,
                             s.dashed ? " stroke-dasharray=\"5 3\"" : "");
    body = fmt::format("<path d=\"{}\" {}/>{}", d, style, dots);
  }
  return fmt::format("<g class=\"series\" data-series=\"{}\" data-index=\"{}\" data-marks=\"{}\" "
                     "fill=\"{}\">{}</g>",
                     escape(s.label), index, marks, s.color, body);
}

const char* swatch_kind(const Series& s) {
  if (s.bars) return "bars";
  if (s.area) return "area";
  return s.dashed ? "dashed" : "solid";
}

// Each key's swatch is drawn as its series is: a bar or a filled square, or a line segment,
// dashed for a dashed series (p99 beside a solid p50 of the same colour).
std::string legend(const Chart& c) {
  std::string out = "<g class=\"legend\">";
  double x = kLeft;
  for (const Series& s : c.series) {
    const std::string kind = swatch_kind(s);
    std::string mark;
    if (s.bars || s.area)
      mark = fmt::format("<rect x=\"{}\" y=\"13\" width=\"18\" height=\"10\" fill=\"{}\"{}/>",
                         num(x), s.color, s.area ? " fill-opacity=\"0.35\"" : "");
    else
      mark = fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"18\" y2=\"18\" stroke=\"{2}\" "
                         "stroke-width=\"2.5\"{3}/>",
                         num(x), num(x + 18), s.color,
                         s.dashed ? " stroke-dasharray=\"4 3\"" : "");
    out += fmt::format("<g class=\"key\" data-swatch=\"{}\">{}<text class=\"key\" x=\"{}\" "
                       "y=\"23\">{}</text></g>",
                       kind, mark, num(x + 22), escape(s.label));
    x += 34 + 6.5 * static_cast<double>(s.label.size());
  }
  return out + "</g>";
}

// The narrowest gap, in pixels, between neighbouring points of the bar series.
double bar_slot_width(const Chart& c, const Scale& sx) {
  std::vector<double> xs;
  for (const Series& s : c.series)
    if (s.bars)
      for (const Point& p : s.points) xs.push_back(sx(p.x));
  std::sort(xs.begin(), xs.end());
  double gap = (kWidth - kLeft - kRight) / 10;
  for (std::size_t i = 1; i < xs.size(); ++i)
    if (xs[i] - xs[i - 1] > 0.5) gap = std::min(gap, xs[i] - xs[i - 1]);
  return gap;
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
  if (ry.empty())  // nothing to draw: say so rather than draw axes around nothing
    return fmt::format("<figure class=\"nodata\" data-chart=\"{}\"><figcaption>{}</figcaption>"
                       "<p class=\"nodata\">{}</p></figure>\n",
                       escape(c.id), escape(c.title), escape(c.empty_text));
  const std::vector<double> xt = ticks_for(c.x, rx, c.x.unit == Unit::Seconds);  // time from 0
  const std::vector<double> yt = ticks_for(c.y, ry, true);
  const Scale sx{xt.front(), xt.back(), kLeft, kWidth - kRight, c.x.log};
  const Scale sy{yt.front(), yt.back(), kHeight - kBottom, kTop, c.y.log};
  std::string out = fmt::format(
      "<figure><figcaption>{}</figcaption><svg class=\"chart\" data-chart=\"{}\" "
      "viewBox=\"0 0 {} {}\" width=\"{}\" height=\"{}\" role=\"img\" "
      "xmlns=\"http://www.w3.org/2000/svg\">",
      escape(c.title), escape(c.id), kWidth, kHeight, kWidth, kHeight);
  out += axes(c, xt, yt, sx, sy);
  BarSlot slot{bar_slot_width(c, sx), 0,
               static_cast<std::size_t>(std::count_if(c.series.begin(), c.series.end(),
                                                      [](const Series& s) { return s.bars; }))};
  for (std::size_t i = 0; i < c.series.size(); ++i) {
    out += series_svg(c.series[i], i, c, sx, sy, slot);
    if (c.series[i].bars) ++slot.index;
  }
  out += legend(c);
  return out + "</svg></figure>\n";
}

}  // namespace connperf::report
