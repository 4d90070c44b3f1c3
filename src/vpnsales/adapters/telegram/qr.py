"""QR codes for subscription links: PNG bytes ready to send as a Telegram photo."""

from __future__ import annotations

import io

import segno

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def qr_png(url: str, scale: int = 8, *, border: int = 2) -> bytes:
    """A PNG of ``url`` as a QR code (error correction M, boosted when it fits).

    ``scale`` is pixels per module; ``border`` the quiet zone in modules (2 is enough
    for phone cameras reading from a screen and keeps the image compact).
    """
    if not url:
        raise ValueError("nothing to encode")
    if scale < 1 or border < 0:
        raise ValueError("scale must be positive and border non-negative")
    code = segno.make_qr(url, error="m", boost_error=True)
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=scale, border=border)
    data = buffer.getvalue()
    if not data.startswith(PNG_SIGNATURE):  # pragma: no cover - segno guarantees PNG
        raise RuntimeError("segno did not produce a PNG")
    return data


__all__ = ["PNG_SIGNATURE", "qr_png"]
