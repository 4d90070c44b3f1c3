"""QR codes: a real PNG whose pixels are the QR symbol of the subscription URL.

No QR decoder is installed, so the PNG is decoded here (1-bit greyscale as segno
writes it, all five scanline filters) and compared module by module with segno's own symbol for the URL.
"""

from __future__ import annotations

import struct
import zlib

import pytest
import segno

from vpnsales.adapters.telegram.qr import PNG_SIGNATURE, qr_png

URL = "https://sub.example.com/api/sub/7f3a9c1e2b4d4f6a8c0e1a2b3c4d5e6f"


def _chunks(data: bytes) -> dict[bytes, bytes]:
    chunks: dict[bytes, bytes] = {}
    offset = len(PNG_SIGNATURE)
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert zlib.crc32(kind + body) == crc, kind
        chunks[kind] = chunks.get(kind, b"") + body
        offset += 12 + length
    return chunks


def _pixels(data: bytes) -> list[list[int]]:
    chunks = _chunks(data)
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, colour, interlace) == (1, 0, 0), "expected 1-bit greyscale"
    raw = zlib.decompress(chunks[b"IDAT"])
    stride = (width + 7) // 8
    rows = []
    previous = bytes(stride)
    for y in range(height):
        line = raw[y * (stride + 1) : (y + 1) * (stride + 1)]
        current = _unfilter(line[0], bytearray(line[1:]), previous)
        bits = "".join(f"{byte:08b}" for byte in current)[:width]
        rows.append([int(b) for b in bits])
        previous = bytes(current)
    return rows


def _unfilter(kind: int, line: bytearray, prior: bytes) -> bytearray:
    """PNG scanline filters (bytes per pixel = 1 for 1-bit images)."""
    for i, value in enumerate(line):
        left = line[i - 1] if i else 0
        up = prior[i]
        up_left = prior[i - 1] if i else 0
        if kind == 0:
            predictor = 0
        elif kind == 1:
            predictor = left
        elif kind == 2:
            predictor = up
        elif kind == 3:
            predictor = (left + up) // 2
        elif kind == 4:
            p = left + up - up_left
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
            predictor = left if pa <= pb and pa <= pc else (up if pb <= pc else up_left)
        else:
            raise AssertionError(f"unknown PNG filter {kind}")
        line[i] = (value + predictor) & 0xFF
    return line


def test_output_is_a_png() -> None:
    data = qr_png(URL)
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 100
    assert set(_chunks(data)) >= {b"IHDR", b"IDAT", b"IEND"}


@pytest.mark.parametrize("scale", [1, 4, 8])
def test_dimensions_follow_scale_and_border(scale: int) -> None:
    symbol = segno.make_qr(URL, error="m", boost_error=True)
    modules = symbol.symbol_size(border=2)[0]
    width, height = struct.unpack(">II", _chunks(qr_png(URL, scale=scale))[b"IHDR"][:8])
    assert width == height == modules * scale


def test_pixels_are_the_qr_symbol_of_the_url() -> None:
    scale, border = 4, 2
    pixels = _pixels(qr_png(URL, scale=scale, border=border))
    matrix = segno.make_qr(URL, error="m", boost_error=True).matrix
    size = len(matrix)
    assert len(pixels) == (size + 2 * border) * scale
    for y in range(size):
        for x in range(size):
            px = pixels[(y + border) * scale][(x + border) * scale]
            dark = px == 0
            assert dark == bool(matrix[y][x]), (x, y)
    assert all(p == 1 for p in pixels[0]), "the quiet zone is light"


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="nothing"):
        qr_png("")
    with pytest.raises(ValueError, match="scale"):
        qr_png(URL, scale=0)
