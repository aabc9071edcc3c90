// An antialiased RGB drawing surface for charts: filled rectangles, polylines
// (solid or dashed), discs and text in forge's built-in font, each shape
// painted once from its coverage (so overlapping pieces of one shape do not
// darken), optionally clipped to a rectangle.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "viz/png.h"

namespace forge::viz {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
};

struct Point {
  double x = 0, y = 0;  // pixels; (0, 0) is the top-left corner of the top-left pixel
};

enum class Align { start, center, end };

class Canvas {
 public:
  Canvas(int width, int height, Rgb background);

  int width() const { return image_.width; }
  int height() const { return image_.height; }
  const Image& image() const { return image_; }

  // Shapes are drawn only inside [x0, x1) x [y0, y1) until reset_clip().
  void set_clip(double x0, double y0, double x1, double y1);
  void reset_clip();

  // Pixel-aligned rectangle, no antialiasing: [x, x + w) x [y, y + h).
  void fill_rect(int x, int y, int w, int h, Rgb color);

  // A polyline `width` pixels wide with round joins. dash > 0 draws dashes of
  // that length separated by gaps of `gap` pixels, measured along the path.
  void stroke(const std::vector<Point>& path, double width, Rgb color, double dash = 0, double gap = 0);

  void discs(const std::vector<Point>& centers, double radius, Rgb color);

  // Text with cells of `cell` pixels (cap height 7 cells). (x, y) is the anchor:
  // h aligns the text's start/center/end to x, v its cap top/middle/baseline to
  // y. vertical = rotated a quarter turn counter-clockwise (reads bottom to top),
  // with h then along the vertical and v across it.
  void text(double x, double y, std::string_view s, double cell, Rgb color, Align h = Align::start,
            Align v = Align::start, bool vertical = false);

  // The advance width of `s` in pixels at this cell size.
  static double text_width(std::string_view s, double cell);

 private:
  struct Mask;
  Mask mask_over(double x0, double y0, double x1, double y1) const;  // the box, clipped
  void paint(const Mask& mask, Rgb color);

  Image image_;
  double clip_x0_ = 0, clip_y0_ = 0, clip_x1_ = 0, clip_y1_ = 0;
};

}  // namespace forge::viz
