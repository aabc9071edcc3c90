// Fast CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, the iSCSI/ext4
// checksum) for checksumming checkpoint tensors at disk speed: the SSE4.2
// `crc32` instruction (three interleaved streams, combined exactly) where the
// CPU has it, slicing-by-8 tables elsewhere. Same values as every other
// CRC-32C (e.g. Python's `crc32c` package, TFRecord's unmasked CRC).
#pragma once

#include <cstddef>
#include <cstdint>

namespace forge {

// CRC-32C of p[0, n); pass a previous result as `crc` to continue over more bytes
// (crc32c(b, nb, crc32c(a, na)) == CRC of a followed by b).
uint32_t crc32c_update(const void* p, size_t n, uint32_t crc = 0);

// The same, always through the portable tables (tests compare both paths).
uint32_t crc32c_portable(const void* p, size_t n, uint32_t crc = 0);

}  // namespace forge
