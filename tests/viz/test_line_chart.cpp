// Charts: tick values and labels (linear, log, k/M/B), the font table, text
// and stroke rasterisation (extent, clipping, antialiasing), and whole charts
// (size, where series colours land, legend, errors).
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>

#include "common/error.h"
#include "viz/canvas.h"
#include "viz/font.h"
#include "viz/line_chart.h"

namespace forge::viz {
namespace {

std::vector<std::string> labels(const Ticks& t) { return t.labels; }

TEST(ChartTicks, Linear) {
  EXPECT_EQ(labels(linear_ticks(0, 1000)), (std::vector<std::string>{"0", "200", "400", "600", "800", "1000"}));
  EXPECT_EQ(labels(linear_ticks(2.31, 3.87)),
            (std::vector<std::string>{"2.4", "2.6", "2.8", "3.0", "3.2", "3.4", "3.6", "3.8"}));
  EXPECT_EQ(labels(linear_ticks(-0.3, 0.3)),
            (std::vector<std::string>{"-0.3", "-0.2", "-0.1", "0", "0.1", "0.2", "0.3"}));
  EXPECT_EQ(labels(linear_ticks(0, 3e6)), (std::vector<std::string>{"0", "0.5M", "1.0M", "1.5M", "2.0M", "2.5M", "3.0M"}));
  EXPECT_EQ(labels(linear_ticks(0, 3e7, 3)), (std::vector<std::string>{"0", "10M", "20M", "30M"}));
  EXPECT_TRUE(linear_ticks(1, 1).values.empty());
}

TEST(ChartTicks, FormatTick) {
  EXPECT_EQ(format_tick(2.5e9, 5e8, 3e9), "2.5B");
  EXPECT_EQ(format_tick(2.5e10, 5e9, 3e10), "25B");
  EXPECT_EQ(format_tick(20000, 5000, 25000), "20k");
  EXPECT_EQ(format_tick(0.05, 0.05, 0.2), "0.05");
  EXPECT_EQ(format_tick(1e-17, 0.1, 1), "0");
  EXPECT_EQ(format_tick(9999, 1, 9999), "9999");
}

TEST(ChartTicks, Log) {
  EXPECT_EQ(labels(log_ticks(0.5, 20)), (std::vector<std::string>{"0.5", "1", "2", "5", "10", "20"}));
  EXPECT_EQ(labels(log_ticks(0.001, 1000)),
            (std::vector<std::string>{"0.001", "0.01", "0.1", "1", "10", "100", "1000"}));
  EXPECT_EQ(labels(log_ticks(2.2, 9.5)), (std::vector<std::string>{"3", "4", "5", "6", "7", "8", "9"}));
  // Too narrow for digits: linear ticks inside the range.
  const Ticks narrow = log_ticks(2.5, 3.9);
  ASSERT_GE(narrow.values.size(), 4u);
  for (double v : narrow.values) EXPECT_TRUE(v >= 2.5 && v <= 3.9) << v;
}

TEST(ChartFont, EveryPrintableCharacterHasItsOwnGlyph) {
  std::set<std::array<uint8_t, Glyph::kHeight>> seen;
  for (char c = 33; c < 127; ++c) {
    const Glyph& g = glyph(c);
    int lit = 0;
    for (int y = 0; y < Glyph::kHeight; ++y)
      for (int x = 0; x < Glyph::kWidth; ++x) lit += g.lit(x, y);
    EXPECT_GT(lit, 0) << "glyph '" << c << "' is blank";
    EXPECT_TRUE(seen.insert(g.rows).second) << "glyph '" << c << "' duplicates another";
  }
  EXPECT_EQ(&glyph(' '), &glyph(' '));
  EXPECT_EQ(&glyph('\x01'), &glyph('?'));
  EXPECT_EQ(&glyph('\xe9'), &glyph('?'));
  EXPECT_TRUE(glyph('A').lit(0, 6) && glyph('A').lit(4, 6) && !glyph('A').lit(0, 0));
  EXPECT_TRUE(glyph('g').lit(1, 8));  // descender
}

// Bounding box of pixels that differ from `bg`.
struct Box {
  int x0 = 1 << 30, y0 = 1 << 30, x1 = -1, y1 = -1;
};
Box inked(const Image& img, Rgb bg) {
  Box b;
  for (int y = 0; y < img.height; ++y) {
    for (int x = 0; x < img.width; ++x) {
      const uint8_t* p = &img.rgb[(size_t(y) * img.width + x) * 3];
      if (p[0] != bg.r || p[1] != bg.g || p[2] != bg.b) {
        b.x0 = std::min(b.x0, x), b.y0 = std::min(b.y0, y), b.x1 = std::max(b.x1, x), b.y1 = std::max(b.y1, y);
      }
    }
  }
  return b;
}

TEST(ChartCanvas, TextExtent) {
  const Rgb white{255, 255, 255};
  Canvas c(200, 60, white);
  c.text(10, 10, "HE", 2.0, Rgb{0, 0, 0});
  const Box b = inked(c.image(), white);
  EXPECT_DOUBLE_EQ(Canvas::text_width("HE", 2.0), 22.0);  // (2 * 6 - 1) cells
  EXPECT_NEAR(b.x0, 10, 1);
  EXPECT_NEAR(b.x1, 10 + 22 - 1, 1);
  EXPECT_NEAR(b.y0, 10, 1);
  EXPECT_NEAR(b.y1, 10 + 14 - 1, 1);  // cap height 7 cells

  Canvas v(60, 200, white);  // vertical: reads upwards from the anchor
  v.text(10, 100, "HE", 2.0, Rgb{0, 0, 0}, Align::start, Align::start, true);
  const Box bv = inked(v.image(), white);
  EXPECT_NEAR(bv.x0, 10, 1);
  EXPECT_NEAR(bv.x1, 10 + 14 - 1, 1);
  EXPECT_NEAR(bv.y1, 100 - 1, 1);
  EXPECT_NEAR(bv.y0, 100 - 22, 1);
}

TEST(ChartCanvas, StrokeAntialiasedAndClipped) {
  const Rgb white{255, 255, 255};
  Canvas c(100, 100, white);
  c.set_clip(0, 0, 50, 100);
  c.stroke({{10, 20.5}, {90, 20.5}}, 2.0, Rgb{0, 0, 0});
  const Box b = inked(c.image(), white);
  EXPECT_EQ(b.x1, 49);  // clipped
  EXPECT_GE(b.x0, 8);
  EXPECT_EQ(b.y0, 19);  // 2 px wide centred on y = 20.5, no more
  EXPECT_EQ(b.y1, 21);
  const uint8_t* mid = &c.image().rgb[(20 * 100 + 30) * 3];
  EXPECT_EQ(mid[0], 0);
  // A diagonal has partially covered (grey) pixels along its edges.
  Canvas d(40, 40, white);
  d.stroke({{5, 5}, {35, 30}}, 1.5, Rgb{0, 0, 0});
  bool grey = false;
  for (size_t i = 0; i < d.image().rgb.size(); i += 3) grey |= d.image().rgb[i] > 30 && d.image().rgb[i] < 225;
  EXPECT_TRUE(grey);
}

int count_color(const Image& img, Rgb c) {
  int n = 0;
  for (size_t i = 0; i < img.rgb.size(); i += 3) n += img.rgb[i] == c.r && img.rgb[i + 1] == c.g && img.rgb[i + 2] == c.b;
  return n;
}

TEST(ChartRender, SeriesLegendAndSize) {
  Series a{"a train", {10, 20, 30, 40}, {5.0, 4.0, 3.5, 3.2}, series_color(0), false, false};
  Series b{"a val", {20, 40}, {4.2, 3.6}, series_color(0), true, true};
  Series c{"b train", {10, 20, 30}, {6.0, 5.0, 4.0}, series_color(1), false, false};
  ChartOptions o;
  o.width = 640;
  o.height = 400;
  o.title = "loss";
  o.x_label = "step";
  o.y_label = "loss";
  const Image img = render_line_chart({a, b, c}, o);
  EXPECT_EQ(img.width, 640);
  EXPECT_EQ(img.height, 400);
  EXPECT_GT(count_color(img, series_color(0)), 200);
  EXPECT_GT(count_color(img, series_color(1)), 150);
  EXPECT_EQ(count_color(img, series_color(2)), 0);
  // Log scale works on the same data; the colours still land.
  o.log_y = true;
  EXPECT_GT(count_color(render_line_chart({a, b, c}, o), series_color(1)), 150);
}

TEST(ChartRender, Errors) {
  ChartOptions o;
  EXPECT_THROW(render_line_chart({}, o), Error);
  EXPECT_THROW(render_line_chart({Series{"x", {1, 2}, {1}, series_color(0)}}, o), Error);
  o.log_y = true;
  try {
    render_line_chart({Series{"neg", {1, 2}, {1, -1}, series_color(0)}}, o);
    FAIL() << "expected forge::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'neg'"), std::string::npos) << e.what();
  }
  o.log_y = false;
  o.width = 60;
  EXPECT_THROW(render_line_chart({Series{"x", {1, 2}, {1, 2}, series_color(0)}}, o), Error);
}

}  // namespace
}  // namespace forge::viz
