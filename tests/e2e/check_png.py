"""Decodes a PNG with Python's standard library only, as an independent check of
forge's encoder (tests/e2e/test_monitoring.cpp): the signature, every chunk's
CRC-32, IHDR, the IDAT stream inflating to exactly height * (1 + 3 * width)
bytes, and the scanline filters undone (types 0-4). Prints
    {"width": W, "height": H, "colors": {"r,g,b": count, ...}}
with the counts of the colours given as arguments; exits 2 on any defect.
Usage: python3 check_png.py FILE.png [R,G,B ...]
"""
import json
import struct
import sys
import zlib


def fail(msg):
    print("check_png: " + msg, file=sys.stderr)
    sys.exit(2)


def main():
    data = open(sys.argv[1], "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail("bad signature")
    at, chunks = 8, []
    while at < len(data):
        if at + 12 > len(data):
            fail("truncated chunk header at %d" % at)
        (n,) = struct.unpack(">I", data[at:at + 4])
        ctype, body = data[at + 4:at + 8], data[at + 8:at + 8 + n]
        (crc,) = struct.unpack(">I", data[at + 8 + n:at + 12 + n])
        if zlib.crc32(ctype + body) != crc:
            fail("CRC mismatch in chunk %r" % ctype)
        chunks.append((ctype, body))
        at += 12 + n
    types = [c[0] for c in chunks]
    if types[0] != b"IHDR" or types[-1] != b"IEND" or b"IDAT" not in types:
        fail("chunk order %r" % types)
    w, h, depth, ctype, comp, filt, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    if (depth, ctype, comp, filt, interlace) != (8, 2, 0, 0, 0):
        fail("unexpected IHDR %r" % ((depth, ctype, comp, filt, interlace),))
    raw = zlib.decompress(b"".join(b for t, b in chunks if t == b"IDAT"))
    stride = 3 * w
    if len(raw) != h * (1 + stride):
        fail("IDAT inflates to %d bytes, expected %d" % (len(raw), h * (1 + stride)))
    pixels, prev = bytearray(), bytearray(stride)
    for y in range(h):
        f, line = raw[y * (1 + stride)], bytearray(raw[y * (1 + stride) + 1:(y + 1) * (1 + stride)])
        for i in range(stride):
            a = line[i - 3] if i >= 3 else 0
            b, c = prev[i], prev[i - 3] if i >= 3 else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            elif f != 0:
                fail("bad filter type %d in row %d" % (f, y))
        pixels += line
        prev = line
    counts = {}
    for spec in sys.argv[2:]:
        rgb = bytes(int(v) for v in spec.split(","))
        counts[spec] = sum(1 for i in range(0, len(pixels), 3) if pixels[i:i + 3] == rgb)
    print(json.dumps({"width": w, "height": h, "colors": counts}))


if __name__ == "__main__":
    main()
