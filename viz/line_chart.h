// Line charts rendered by forge itself: several x/y series overlaid (solid or
// dashed, optionally with point markers) on linear or log-scale y, with grid,
// tick labels at "nice" values, axis titles, a title and a legend placed in
// the plot corner that hides the fewest points.
#pragma once

#include <string>
#include <vector>

#include "viz/canvas.h"
#include "viz/png.h"

namespace forge::viz {

struct Series {
  std::string label;          // legend entry
  std::vector<double> x, y;   // same length; drawn in the given order
  Rgb color;
  bool dashed = false;
  bool markers = false;       // a dot at every point
};

struct ChartOptions {
  int width = 960;
  int height = 600;
  std::string title;          // "" = none
  std::string x_label, y_label;
  bool log_y = false;         // every y must then be > 0
};

// Throws forge::Error when there is nothing to draw, when a series' x and y
// differ in length, or when log_y meets a value <= 0.
Image render_line_chart(const std::vector<Series>& series, const ChartOptions& options);

// A distinct colour for the i-th series (cycles after 10).
Rgb series_color(size_t i);

// Axis ticks: values inside [lo, hi] and their labels.
struct Ticks {
  std::vector<double> values;
  std::vector<std::string> labels;
};
// Multiples of the 1/2/5 x 10^k step nearest (hi - lo) / target.
Ticks linear_ticks(double lo, double hi, int target = 6);
// Powers of ten (with 2x and 5x, or every digit, when the range is short);
// linear ticks when [lo, hi] spans too little for that. lo > 0.
Ticks log_ticks(double lo, double hi);
// `v` printed with as many decimals as `step` needs, in thousands (k),
// millions (M) or billions (B) when `magnitude` (the axis's largest |value|)
// reaches 1e4, 1e6 or 1e9; zero is "0".
std::string format_tick(double v, double step, double magnitude);

}  // namespace forge::viz
