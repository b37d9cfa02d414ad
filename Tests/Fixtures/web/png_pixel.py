"""Prints the width, height and the R G B of one pixel of a PNG: png_pixel.py FILE X Y (8-bit RGB or RGBA only)."""
import struct
import sys
import zlib

data = open(sys.argv[1], "rb").read()
x, y = int(sys.argv[2]), int(sys.argv[3])
assert data[:8] == b"\x89PNG\r\n\x1a\n"
offset, idat = 8, b""
while offset < len(data):
    length, kind = struct.unpack(">I4s", data[offset:offset + 8])
    chunk = data[offset + 8:offset + 8 + length]
    if kind == b"IHDR":
        width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
    elif kind == b"IDAT":
        idat += chunk
    offset += 12 + length
channels = {2: 3, 6: 4}[colour]
assert depth == 8
raw, stride, previous = zlib.decompress(idat), width * channels, bytearray(width * channels)
for row in range(y + 1):
    start = row * (stride + 1)
    kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
    for i in range(stride):
        left = line[i - channels] if i >= channels else 0
        up = previous[i]
        corner = previous[i - channels] if i >= channels else 0
        if kind == 1:
            line[i] = (line[i] + left) & 255
        elif kind == 2:
            line[i] = (line[i] + up) & 255
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 255
        elif kind == 4:
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
    previous = line
print(width, height, *previous[x * channels:x * channels + 3])
