"""The revenue chart sent with the admin statistics: a PNG drawn in pure Python.

One panel per currency (RUB, XTR, …), a bar per UTC day of the window, a light grid at
quarters of the panel's maximum, the maximum and the currency written with a tiny
built-in bitmap font, and the first/last day under the bars. No plotting library: the
image is a palette-free RGB raster compressed with ``zlib`` (≈ 3-8 KB for 30 days).

    png = revenue_chart({"RUB": [(date(2026, 11, 1), Decimal("300")), ...]})
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

Color = tuple[int, int, int]
WHITE: Color = (255, 255, 255)
INK: Color = (40, 44, 52)
GRID: Color = (225, 228, 234)
PALETTE: tuple[Color, ...] = ((52, 120, 246), (246, 160, 52), (46, 184, 114), (180, 90, 200))

# 3x5 glyphs, rows top to bottom, bits left to right
_FONT: dict[str, tuple[int, ...]] = {
    "0": (7, 5, 5, 5, 7), "1": (2, 6, 2, 2, 7), "2": (7, 1, 7, 4, 7), "3": (7, 1, 7, 1, 7),
    "4": (5, 5, 7, 1, 1), "5": (7, 4, 7, 1, 7), "6": (7, 4, 7, 5, 7), "7": (7, 1, 2, 2, 2),
    "8": (7, 5, 7, 5, 7), "9": (7, 5, 7, 1, 7), ".": (0, 0, 0, 0, 2), "-": (0, 0, 7, 0, 0),
    ":": (0, 2, 0, 2, 0), " ": (0, 0, 0, 0, 0), "A": (2, 5, 7, 5, 5), "B": (6, 5, 6, 5, 6),
    "C": (7, 4, 4, 4, 7), "D": (6, 5, 5, 5, 6), "E": (7, 4, 6, 4, 7), "F": (7, 4, 6, 4, 4),
    "G": (7, 4, 5, 5, 7), "H": (5, 5, 7, 5, 5), "I": (7, 2, 2, 2, 7), "J": (1, 1, 1, 5, 7),
    "K": (5, 5, 6, 5, 5), "L": (4, 4, 4, 4, 7), "M": (5, 7, 7, 5, 5), "N": (6, 5, 5, 5, 5),
    "O": (7, 5, 5, 5, 7), "P": (7, 5, 7, 4, 4), "Q": (7, 5, 5, 7, 1), "R": (6, 5, 6, 5, 5),
    "S": (7, 4, 7, 1, 7), "T": (7, 2, 2, 2, 2), "U": (5, 5, 5, 5, 7), "V": (5, 5, 5, 5, 2),
    "W": (5, 5, 7, 7, 5), "X": (5, 5, 2, 5, 5), "Y": (5, 5, 2, 2, 2), "Z": (7, 1, 2, 4, 7),
}  # fmt: skip


class Canvas:
    """An RGB raster with the few primitives the chart needs."""

    def __init__(self, width: int, height: int, background: Color = WHITE) -> None:
        self.width = width
        self.height = height
        self._rows = [bytearray(bytes(background) * width) for _ in range(height)]

    def rect(self, x0: int, y0: int, x1: int, y1: int, color: Color) -> None:
        """Fill ``[x0, x1) × [y0, y1)`` (clipped)."""
        x0, x1 = max(0, x0), min(self.width, x1)
        y0, y1 = max(0, y0), min(self.height, y1)
        if x0 >= x1:
            return
        run = bytes(color) * (x1 - x0)
        for y in range(y0, y1):
            self._rows[y][x0 * 3 : x1 * 3] = run

    def text(self, x: int, y: int, text: str, color: Color = INK, scale: int = 2) -> int:
        """Draw ``text`` (unknown characters as blanks); returns the x after it."""
        for char in text.upper():
            glyph = _FONT.get(char, _FONT[" "])
            for row, bits in enumerate(glyph):
                for col in range(3):
                    if bits & (4 >> col):
                        px, py = x + col * scale, y + row * scale
                        self.rect(px, py, px + scale, py + scale, color)
            x += 4 * scale
        return x

    def png(self) -> bytes:
        raw = b"".join(b"\x00" + bytes(row) for row in self._rows)
        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return (
            PNG_SIGNATURE
            + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(raw, 9))
            + _chunk(b"IEND", b"")
        )


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def text_width(text: str, scale: int = 2) -> int:
    return len(text) * 4 * scale


def _short(value: Decimal) -> str:
    """``12345.5`` → ``12.3K``; small values as integers."""
    number = float(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if number >= limit:
            return f"{number / limit:.1f}{suffix}"
    return f"{number:.0f}"


def revenue_chart(
    series: Mapping[str, Sequence[tuple[date, Decimal]]],
    *,
    days: Sequence[date] | None = None,
    width: int = 720,
    panel_height: int = 200,
) -> bytes:
    """A PNG with one bar panel per currency in ``series`` (day → amount).

    ``days`` fixes the x axis (every day of the window, even days without revenue);
    by default it is every day found in the series. With no series at all a single
    empty panel labelled ``NO REVENUE`` is drawn.
    """
    axis = sorted(set(days) if days is not None else {d for s in series.values() for d, _ in s})
    panels = [(currency, dict(points)) for currency, points in sorted(series.items())]
    count = max(len(panels), 1)
    margin, top, bottom = 16, 28, 22
    height = count * (panel_height + top + bottom) + margin
    canvas = Canvas(width, height)
    if not panels:
        canvas.text(margin, margin, "NO REVENUE", INK, 3)
        return canvas.png()
    plot_left, plot_right = margin + 56, width - margin
    for index, (currency, values) in enumerate(panels):
        y_top = margin + index * (panel_height + top + bottom) + top
        y_base = y_top + panel_height - bottom
        peak = max((values.get(d, Decimal(0)) for d in axis), default=Decimal(0))
        total = sum((values.get(d, Decimal(0)) for d in axis), Decimal(0))
        canvas.text(margin, y_top - 22, f"{currency}  TOTAL {_short(total)}", INK, 2)
        for quarter in range(5):  # grid at 0, 25, 50, 75, 100 %
            y = y_base - (y_base - y_top) * quarter // 4
            canvas.rect(plot_left, y, plot_right, y + 1, GRID if quarter else INK)
        canvas.text(margin, y_top - 4, _short(peak), INK, 2)
        canvas.text(margin, y_base - 10, "0", INK, 2)
        if axis:
            slot = (plot_right - plot_left) / len(axis)
            bar = max(1, int(slot * 0.7))
            color = PALETTE[index % len(PALETTE)]
            for i, day in enumerate(axis):
                amount = values.get(day, Decimal(0))
                if peak <= 0 or amount <= 0:
                    continue
                h = max(1, int((y_base - y_top) * (amount / peak)))
                x = plot_left + int(i * slot + (slot - bar) / 2)
                canvas.rect(x, y_base - h, x + bar, y_base, color)
            first, last = axis[0].strftime("%d.%m"), axis[-1].strftime("%d.%m")
            canvas.text(plot_left, y_base + 6, first, INK, 2)
            canvas.text(plot_right - text_width(last), y_base + 6, last, INK, 2)
    return canvas.png()


__all__ = ["PNG_SIGNATURE", "Canvas", "revenue_chart"]
