"""PNG charts for the evidence report, drawn with Pillow (a Streamlit dependency).

Only one chart is needed beyond the individuals chart that
:mod:`calib.assessment.report_pdf` draws itself: the environment trace around an
excursion (readings, limits in red, the excursion shaded, the job shaded blue).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence

from PIL import Image, ImageDraw

__all__ = ["environment_trace_png"]

_W, _H, _PAD = 900, 360, 50


def environment_trace_png(
    times: Sequence[dt.datetime],
    values: Sequence[float],
    *,
    title: str,
    low: float | None,
    high: float | None,
    shaded: Sequence[tuple[dt.datetime, dt.datetime, str]] = (),
) -> bytes:
    """A line chart of readings against time with limit lines and shaded intervals.

    ``shaded`` holds ``(start, end, colour)`` intervals (e.g. the excursion in
    ``"#ffd0d0"`` and the job in ``"#d0e0ff"``). Returns PNG bytes.
    """
    image = Image.new("RGB", (_W, _H), "white")
    draw = ImageDraw.Draw(image)
    draw.text((_PAD, 10), title, fill="black")
    if len(times) < 2:
        draw.text((_PAD, _H // 2), "not enough readings", fill="black")
        return _png(image)
    t0, t1 = min(times), max(times)
    span_t = (t1 - t0).total_seconds() or 1.0
    levels = [*values, *(v for v in (low, high) if v is not None)]
    v0, v1 = min(levels), max(levels)
    margin = (v1 - v0) * 0.1 or 1.0
    v0, v1 = v0 - margin, v1 + margin

    def x(t: dt.datetime) -> float:
        return _PAD + (t - t0).total_seconds() / span_t * (_W - 2 * _PAD)

    def y(v: float) -> float:
        return _H - _PAD - (v - v0) / (v1 - v0) * (_H - 2 * _PAD)

    for start, end, colour in shaded:
        left, right = max(x(start), _PAD), min(x(end), _W - _PAD)
        if right > left:
            draw.rectangle((left, _PAD, right, _H - _PAD), fill=colour)
    draw.rectangle((_PAD, _PAD, _W - _PAD, _H - _PAD), outline="black")
    for limit in (low, high):
        if limit is not None:
            draw.line((_PAD, y(limit), _W - _PAD, y(limit)), fill="red", width=2)
            draw.text((_W - _PAD + 4, y(limit) - 6), f"{limit:g}", fill="red")
    points = [(x(t), y(v)) for t, v in zip(times, values, strict=True)]
    draw.line(points, fill="#1f4e9e", width=2)
    draw.text((_PAD, _H - _PAD + 8), f"{t0:%Y-%m-%d %H:%M}", fill="black")
    draw.text((_W - _PAD - 110, _H - _PAD + 8), f"{t1:%Y-%m-%d %H:%M} UTC", fill="black")
    draw.text((4, _PAD), f"{v1:.2f}", fill="black")
    draw.text((4, _H - _PAD - 10), f"{v0:.2f}", fill="black")
    return _png(image)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
