// Canvas drawing (see canvas.h). Every shape is first rasterised into a
// coverage mask (per pixel: the largest coverage any of its pieces gives, from
// the distance of the pixel's centre to the piece), then blended once.
#include "viz/canvas.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "viz/font.h"

namespace forge::viz {

// Coverage over a rectangle of pixels inside the canvas.
struct Canvas::Mask {
  int x0, y0, x1, y1;  // pixel bounds, exclusive upper
  std::vector<float> cov;

  Mask(double cx0, double cy0, double cx1, double cy1)
      : x0(int(std::floor(cx0))), y0(int(std::floor(cy0))), x1(int(std::ceil(cx1))), y1(int(std::ceil(cy1))) {
    x1 = std::max(x1, x0);
    y1 = std::max(y1, y0);
    cov.assign(size_t(x1 - x0) * size_t(y1 - y0), 0.0f);
  }

  // A segment from a to b with round caps, half-width hw.
  void segment(Point a, Point b, double hw) {
    const int px0 = std::max(x0, int(std::floor(std::min(a.x, b.x) - hw - 1)));
    const int px1 = std::min(x1, int(std::ceil(std::max(a.x, b.x) + hw + 1)));
    const int py0 = std::max(y0, int(std::floor(std::min(a.y, b.y) - hw - 1)));
    const int py1 = std::min(y1, int(std::ceil(std::max(a.y, b.y) + hw + 1)));
    const double dx = b.x - a.x, dy = b.y - a.y;
    const double len2 = dx * dx + dy * dy;
    for (int y = py0; y < py1; ++y) {
      for (int x = px0; x < px1; ++x) {
        const double qx = x + 0.5 - a.x, qy = y + 0.5 - a.y;
        const double t = len2 > 0 ? std::clamp((qx * dx + qy * dy) / len2, 0.0, 1.0) : 0.0;
        const double d = std::hypot(qx - t * dx, qy - t * dy);
        const float c = float(std::clamp(hw + 0.5 - d, 0.0, 1.0));
        float& m = cov[size_t(y - y0) * size_t(x1 - x0) + size_t(x - x0)];
        m = std::max(m, c);
      }
    }
  }
};

Canvas::Canvas(int width, int height, Rgb background) {
  FORGE_CHECK(width > 0 && height > 0 && width <= 16384 && height <= 16384,
              "canvas size must be between 1x1 and 16384x16384, got " << width << "x" << height);
  image_.width = width;
  image_.height = height;
  image_.rgb.resize(size_t(width) * size_t(height) * 3);
  for (size_t i = 0; i < image_.rgb.size(); i += 3) {
    image_.rgb[i] = background.r;
    image_.rgb[i + 1] = background.g;
    image_.rgb[i + 2] = background.b;
  }
  reset_clip();
}

void Canvas::set_clip(double x0, double y0, double x1, double y1) {
  clip_x0_ = std::clamp(x0, 0.0, double(width()));
  clip_y0_ = std::clamp(y0, 0.0, double(height()));
  clip_x1_ = std::clamp(x1, clip_x0_, double(width()));
  clip_y1_ = std::clamp(y1, clip_y0_, double(height()));
}

void Canvas::reset_clip() { set_clip(0, 0, width(), height()); }

void Canvas::fill_rect(int x, int y, int w, int h, Rgb color) {
  const int xa = std::max(x, 0), xb = std::min(x + w, width());
  const int ya = std::max(y, 0), yb = std::min(y + h, height());
  for (int py = ya; py < yb; ++py) {
    for (int px = xa; px < xb; ++px) {
      uint8_t* p = &image_.rgb[(size_t(py) * size_t(width()) + size_t(px)) * 3];
      p[0] = color.r;
      p[1] = color.g;
      p[2] = color.b;
    }
  }
}

void Canvas::paint(const Mask& mask, Rgb color) {
  const int w = mask.x1 - mask.x0;
  for (int y = mask.y0; y < mask.y1; ++y) {
    for (int x = mask.x0; x < mask.x1; ++x) {
      const float a = mask.cov[size_t(y - mask.y0) * size_t(w) + size_t(x - mask.x0)];
      if (a <= 0.0f) continue;
      uint8_t* p = &image_.rgb[(size_t(y) * size_t(width()) + size_t(x)) * 3];
      const uint8_t c[3] = {color.r, color.g, color.b};
      for (int k = 0; k < 3; ++k) p[k] = uint8_t(std::lround(p[k] * (1.0f - a) + c[k] * a));
    }
  }
}

Canvas::Mask Canvas::mask_over(double x0, double y0, double x1, double y1) const {
  return Mask(std::clamp(x0, clip_x0_, clip_x1_), std::clamp(y0, clip_y0_, clip_y1_), std::clamp(x1, clip_x0_, clip_x1_),
              std::clamp(y1, clip_y0_, clip_y1_));
}

void Canvas::stroke(const std::vector<Point>& path, double width, Rgb color, double dash, double gap) {
  if (path.empty()) return;
  const double hw = width / 2;
  double bx0 = path[0].x, by0 = path[0].y, bx1 = bx0, by1 = by0;
  for (const Point& p : path) {
    bx0 = std::min(bx0, p.x), by0 = std::min(by0, p.y), bx1 = std::max(bx1, p.x), by1 = std::max(by1, p.y);
  }
  Mask mask = mask_over(bx0 - hw - 1, by0 - hw - 1, bx1 + hw + 1, by1 + hw + 1);
  if (path.size() == 1) mask.segment(path[0], path[0], hw);
  if (dash <= 0) {
    for (size_t i = 1; i < path.size(); ++i) mask.segment(path[i - 1], path[i], hw);
  } else {
    // Walk the path, toggling between dash and gap every `dash` / `gap` pixels.
    bool on = true;
    double left = dash;  // length remaining in the current dash or gap
    for (size_t i = 1; i < path.size(); ++i) {
      Point a = path[i - 1];
      const Point b = path[i];
      double seg = std::hypot(b.x - a.x, b.y - a.y);
      while (seg > 0) {
        const double step = std::min(seg, left);
        const Point c{a.x + (b.x - a.x) * step / seg, a.y + (b.y - a.y) * step / seg};
        if (on) mask.segment(a, c, hw);
        a = c;
        seg -= step;
        left -= step;
        if (left <= 0) {
          on = !on;
          left = on ? dash : std::max(gap, 1e-6);
        }
      }
    }
  }
  paint(mask, color);
}

void Canvas::discs(const std::vector<Point>& centers, double radius, Rgb color) {
  if (centers.empty()) return;
  double bx0 = centers[0].x, by0 = centers[0].y, bx1 = bx0, by1 = by0;
  for (const Point& p : centers) {
    bx0 = std::min(bx0, p.x), by0 = std::min(by0, p.y), bx1 = std::max(bx1, p.x), by1 = std::max(by1, p.y);
  }
  Mask mask = mask_over(bx0 - radius - 1, by0 - radius - 1, bx1 + radius + 1, by1 + radius + 1);
  for (const Point& c : centers) mask.segment(c, c, radius);
  paint(mask, color);
}

double Canvas::text_width(std::string_view s, double cell) {
  return s.empty() ? 0.0 : cell * (double(s.size()) * (Glyph::kWidth + 1) - 1);
}

void Canvas::text(double x, double y, std::string_view s, double cell, Rgb color, Align h, Align v, bool vertical) {
  const double w = text_width(s, cell);
  const double asc = cell * Glyph::kAscent;
  const double along = h == Align::start ? 0.0 : h == Align::center ? -w / 2 : -w;
  const double across = v == Align::start ? 0.0 : v == Align::center ? -asc / 2 : -asc;
  // Text space (u right along the text, t down from the cap top) to pixels.
  auto to_px = [&](double u, double t) {
    return vertical ? Point{x + t + across, y - u - along} : Point{x + u + along, y + t + across};
  };
  const Point c0 = to_px(-cell, -cell), c1 = to_px(w + cell, cell * Glyph::kHeight + cell);
  Mask mask = mask_over(std::min(c0.x, c1.x), std::min(c0.y, c1.y), std::max(c0.x, c1.x), std::max(c0.y, c1.y));
  const double hw = 0.5 * cell * 0.9;
  for (size_t i = 0; i < s.size(); ++i) {
    const Glyph& g = glyph(s[i]);
    const double u0 = double(i) * (Glyph::kWidth + 1) * cell;
    auto centre = [&](int gx, int gy) { return to_px(u0 + (gx + 0.5) * cell, (gy + 0.5) * cell); };
    // Join each lit cell to its lit neighbours to the right and below; diagonals
    // only where no orthogonal pair already turns the corner.
    for (int gy = 0; gy < Glyph::kHeight; ++gy) {
      for (int gx = 0; gx < Glyph::kWidth; ++gx) {
        if (!g.lit(gx, gy)) continue;
        const Point p = centre(gx, gy);
        mask.segment(p, p, hw);
        if (g.lit(gx + 1, gy)) mask.segment(p, centre(gx + 1, gy), hw);
        if (g.lit(gx, gy + 1)) mask.segment(p, centre(gx, gy + 1), hw);
        if (g.lit(gx + 1, gy + 1) && !g.lit(gx + 1, gy) && !g.lit(gx, gy + 1))
          mask.segment(p, centre(gx + 1, gy + 1), hw);
        if (g.lit(gx - 1, gy + 1) && !g.lit(gx - 1, gy) && !g.lit(gx, gy + 1))
          mask.segment(p, centre(gx - 1, gy + 1), hw);
      }
    }
  }
  paint(mask, color);
}

}  // namespace forge::viz
