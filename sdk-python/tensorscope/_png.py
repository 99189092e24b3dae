"""A minimal PNG encoder (8-bit gray, RGB or RGBA, no filtering) on the stdlib's zlib."""

import struct
import zlib

_COLOR_TYPE = {1: 0, 3: 2, 4: 6}  # channels -> PNG colour type


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def encode_png(pixels: bytes, width: int, height: int, channels: int) -> bytes:
    """Encode row-major uint8 `pixels` (height x width x channels) as PNG bytes."""
    if channels not in _COLOR_TYPE:
        raise ValueError(f"PNG encoding needs 1, 3 or 4 channels, got {channels}")
    stride = width * channels
    if len(pixels) != stride * height:
        raise ValueError(
            f"PNG encoding expected {stride * height} bytes for {width}x{height}x{channels}, got {len(pixels)}"
        )
    view = memoryview(pixels)
    raw = b"".join(b"\x00" + view[y * stride : (y + 1) * stride].tobytes() for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOR_TYPE[channels], 0, 0, 0)
    idat = _chunk(b"IDAT", zlib.compress(raw, 6))
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + idat + _chunk(b"IEND", b"")
