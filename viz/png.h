// PNG encoding of 8-bit RGB images: the signature, IHDR/IDAT/IEND chunks each
// with its CRC-32, and the pixel rows (filter type 0) deflated by zlib.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace forge::viz {

// An 8-bit RGB raster, rows top to bottom, 3 bytes per pixel.
struct Image {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;  // width * height * 3
};

// The whole PNG file as bytes.
std::string encode_png(const Image& image);

// Writes encode_png(image) to `path`; throws forge::Error naming the path when
// it cannot be written.
void write_png(const std::string& path, const Image& image);

}  // namespace forge::viz
