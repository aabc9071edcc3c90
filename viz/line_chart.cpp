// Line chart layout and rendering (see line_chart.h).
#include "viz/line_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "common/error.h"
#include "viz/font.h"

namespace forge::viz {
namespace {

constexpr Rgb kWhite{255, 255, 255};
constexpr Rgb kInk{34, 34, 34};
constexpr Rgb kAxis{85, 85, 85};
constexpr Rgb kGrid{230, 230, 230};
constexpr Rgb kLegendBorder{200, 200, 200};

constexpr double kTitleCell = 2.4;
constexpr double kLabelCell = 1.8;
constexpr double kTickCell = 1.6;

// Maps data to pixels inside the plot rectangle.
struct Frame {
  double left, top, right, bottom;  // pixels
  double x_lo, x_hi, y_lo, y_hi;    // y in axis units (log10 when log_y)
  bool log_y;
  double ty(double y) const { return log_y ? std::log10(y) : y; }
  double px(double x) const { return left + (x - x_lo) / (x_hi - x_lo) * (right - left); }
  double py(double y) const { return bottom - (ty(y) - y_lo) / (y_hi - y_lo) * (bottom - top); }
};

// The "nice" step (1, 2 or 5 x 10^k) closest (by ratio) to range / target.
double nice_step(double range, int target) {
  const double raw = range / std::max(target, 1);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double best = mag;
  for (double m : {2.0, 5.0, 10.0}) {
    if (std::fabs(std::log(m * mag / raw)) < std::fabs(std::log(best / raw))) best = m * mag;
  }
  return best;
}

// Pads [lo, hi] by `frac` of its width, widening an empty range.
void pad_range(double& lo, double& hi, double frac, double empty_half_width) {
  if (hi - lo <= 0) {
    lo -= empty_half_width;
    hi += empty_half_width;
  } else {
    const double p = (hi - lo) * frac;
    lo -= p;
    hi += p;
  }
}

}  // namespace

Rgb series_color(size_t i) {
  static constexpr Rgb kPalette[] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44},  {214, 39, 40},  {148, 103, 189},
                                     {140, 86, 75},  {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207}};
  return kPalette[i % std::size(kPalette)];
}

std::string format_tick(double v, double step, double magnitude) {
  if (std::fabs(v) < std::fabs(step) * 1e-9) return "0";  // no "-0" or 1e-17 from accumulated steps
  double unit = 1;
  const char* suffix = "";
  if (magnitude >= 1e9) unit = 1e9, suffix = "B";
  else if (magnitude >= 1e6) unit = 1e6, suffix = "M";
  else if (magnitude >= 1e4) unit = 1e3, suffix = "k";
  const double s = std::fabs(step) / unit;
  const int decimals = s > 0 ? std::clamp(int(std::ceil(-std::log10(s) - 1e-9)), 0, 12) : 0;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f%s", decimals, v / unit, suffix);
  return buf;
}

Ticks linear_ticks(double lo, double hi, int target) {
  Ticks t;
  if (!(hi > lo)) return t;
  const double step = nice_step(hi - lo, target);
  for (double k = std::ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k += 1) t.values.push_back(k * step);
  double magnitude = 0;
  for (double v : t.values) magnitude = std::max(magnitude, std::fabs(v));
  for (double v : t.values) t.labels.push_back(format_tick(v, step, magnitude));
  return t;
}

Ticks log_ticks(double lo, double hi) {
  Ticks t;
  if (!(lo > 0 && hi > lo)) return t;
  const int d0 = int(std::floor(std::log10(lo))), d1 = int(std::ceil(std::log10(hi)));
  const std::vector<std::vector<double>> patterns = {{1}, {1, 2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}};
  for (const auto& mults : patterns) {
    Ticks c;
    for (int d = d0; d <= d1; ++d) {
      for (double m : mults) {
        const double v = m * std::pow(10.0, d);
        if (v >= lo * (1 - 1e-12) && v <= hi * (1 + 1e-12)) {
          c.values.push_back(v);
          c.labels.push_back(format_tick(v, std::pow(10.0, d), v));
        }
      }
    }
    if (c.values.size() >= 4) return c;
  }
  return linear_ticks(lo, hi, 6);
}

Image render_line_chart(const std::vector<Series>& series, const ChartOptions& o) {
  // Data ranges.
  double x_min = std::numeric_limits<double>::infinity(), x_max = -x_min, y_min = x_min, y_max = -x_min;
  for (const Series& s : series) {
    FORGE_CHECK(s.x.size() == s.y.size(), "chart series '" << s.label << "' has " << s.x.size() << " x values but "
                                                           << s.y.size() << " y values");
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      FORGE_CHECK(!o.log_y || s.y[i] > 0, "a log-scale y axis needs positive values; series '"
                                              << s.label << "' has " << s.y[i] << " at x = " << s.x[i]);
      x_min = std::min(x_min, s.x[i]), x_max = std::max(x_max, s.x[i]);
      y_min = std::min(y_min, s.y[i]), y_max = std::max(y_max, s.y[i]);
    }
  }
  FORGE_CHECK(x_min <= x_max, "nothing to plot: no series has a finite point");

  Frame f{};
  f.log_y = o.log_y;
  f.x_lo = (x_min >= 0 && x_min <= 0.25 * x_max) ? 0.0 : x_min;  // start at 0 unless the data start far from it
  f.x_hi = x_max;
  if (f.x_hi <= f.x_lo) pad_range(f.x_lo, f.x_hi, 0, std::max(1.0, std::fabs(f.x_lo) * 0.1));
  f.y_lo = f.ty(y_min);
  f.y_hi = f.ty(y_max);
  pad_range(f.y_lo, f.y_hi, 0.04, o.log_y ? 0.05 : std::max(0.5, std::fabs(f.y_lo) * 0.1));

  const Ticks xt = linear_ticks(f.x_lo, f.x_hi);
  const Ticks yt = o.log_y ? log_ticks(std::pow(10.0, f.y_lo), std::pow(10.0, f.y_hi)) : linear_ticks(f.y_lo, f.y_hi);

  // Layout: margins from the text they hold.
  double y_label_w = 0;
  for (const std::string& l : yt.labels) y_label_w = std::max(y_label_w, Canvas::text_width(l, kTickCell));
  const double tick_h = Glyph::kAscent * kTickCell, label_h = Glyph::kAscent * kLabelCell;
  const double title_h = o.title.empty() ? 0 : Glyph::kAscent * kTitleCell + 18;
  f.left = std::round(16 + (o.y_label.empty() ? 0 : label_h + 14) + y_label_w + 10);
  f.top = std::round(18 + title_h);
  f.right = std::round(o.width - 28);
  f.bottom = std::round(o.height - (14 + tick_h + (o.x_label.empty() ? 0 : 14 + label_h) + 16));
  FORGE_CHECK(f.right - f.left >= 50 && f.bottom - f.top >= 50,
              "chart size " << o.width << "x" << o.height << " leaves no room for the plot");

  Canvas c(o.width, o.height, kWhite);
  const int L = int(f.left), T = int(f.top), R = int(f.right), B = int(f.bottom);

  // Grid.
  for (double v : xt.values) c.fill_rect(int(std::lround(f.px(v))), T, 1, B - T, kGrid);
  for (double v : yt.values) c.fill_rect(L, int(std::lround(f.py(v))), R - L, 1, kGrid);

  // Series, clipped to the plot area.
  c.set_clip(L, T, R + 1, B + 1);
  for (const Series& s : series) {
    std::vector<Point> path;
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (std::isfinite(s.x[i]) && std::isfinite(s.y[i])) path.push_back({f.px(s.x[i]), f.py(s.y[i])});
    }
    c.stroke(path, s.dashed ? 1.8 : 2.0, s.color, s.dashed ? 7.0 : 0.0, 4.0);
    if (s.markers) c.discs(path, 3.2, s.color);
  }
  c.reset_clip();

  // Frame, ticks and their labels.
  c.fill_rect(L, T, R - L + 1, 1, kAxis);
  c.fill_rect(L, B, R - L + 1, 1, kAxis);
  c.fill_rect(L, T, 1, B - T + 1, kAxis);
  c.fill_rect(R, T, 1, B - T + 1, kAxis);
  for (size_t i = 0; i < xt.values.size(); ++i) {
    const int x = int(std::lround(f.px(xt.values[i])));
    c.fill_rect(x, B, 1, 5, kAxis);
    c.text(x + 0.5, B + 11, xt.labels[i], kTickCell, kInk, Align::center, Align::start);
  }
  for (size_t i = 0; i < yt.values.size(); ++i) {
    const int y = int(std::lround(f.py(yt.values[i])));
    c.fill_rect(L - 5, y, 5, 1, kAxis);
    c.text(L - 9, y + 0.5, yt.labels[i], kTickCell, kInk, Align::end, Align::center);
  }

  // Titles.
  if (!o.x_label.empty())
    c.text((L + R) / 2.0, B + 11 + tick_h + 14, o.x_label, kLabelCell, kInk, Align::center, Align::start);
  if (!o.y_label.empty()) c.text(16, (T + B) / 2.0, o.y_label, kLabelCell, kInk, Align::center, Align::start, true);
  if (!o.title.empty()) c.text(o.width / 2.0, 18, o.title, kTitleCell, kInk, Align::center, Align::start);

  // Legend, in the corner of the plot area that covers the fewest points.
  std::vector<const Series*> entries;
  double text_w = 0;
  for (const Series& s : series) {
    if (s.label.empty()) continue;
    entries.push_back(&s);
    text_w = std::max(text_w, Canvas::text_width(s.label, kTickCell));
  }
  if (!entries.empty()) {
    const double row = tick_h + 9, sample = 30, pad = 9;
    const double w = pad + sample + 8 + text_w + pad, h = pad + row * double(entries.size()) - 9 + pad;
    const double inset = 10;
    double best_x = R - inset - w, best_y = T + inset;
    size_t best = std::numeric_limits<size_t>::max();
    for (int corner : {1, 0, 3, 2}) {  // top-right, top-left, bottom-right, bottom-left
      const double bx = (corner & 1) ? R - inset - w : L + inset, by = (corner & 2) ? B - inset - h : T + inset;
      size_t hidden = 0;
      for (const Series& s : series) {
        for (size_t i = 0; i < s.x.size(); ++i) {
          const double x = f.px(s.x[i]), y = f.py(s.y[i]);
          hidden += x >= bx && x <= bx + w && y >= by && y <= by + h;
        }
      }
      if (hidden < best) best = hidden, best_x = bx, best_y = by;
    }
    const int bx = int(std::lround(best_x)), by = int(std::lround(best_y)), bw = int(std::ceil(w)), bh = int(std::ceil(h));
    c.fill_rect(bx, by, bw, bh, kLegendBorder);
    c.fill_rect(bx + 1, by + 1, bw - 2, bh - 2, kWhite);
    for (size_t i = 0; i < entries.size(); ++i) {
      const Series& s = *entries[i];
      const double cy = by + pad + row * double(i) + tick_h / 2;
      const std::vector<Point> line = {{bx + pad, cy}, {bx + pad + sample, cy}};
      c.stroke(line, s.dashed ? 1.8 : 2.0, s.color, s.dashed ? 7.0 : 0.0, 4.0);
      if (s.markers) c.discs({{bx + pad + sample / 2, cy}}, 3.2, s.color);
      c.text(bx + pad + sample + 8, cy, s.label, kTickCell, kInk, Align::start, Align::center);
    }
  }
  return c.image();
}

}  // namespace forge::viz
