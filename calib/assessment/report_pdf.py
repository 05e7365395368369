"""The human-readable evidence report (``report.pdf`` of the evidence pack).

Title page (lab, site, as-of date), a summary table of requirements with status
colours, then one section per requirement: status, clause, messages, key figures,
charts given as PNG bytes, and an optional control chart drawn with fpdf2
primitives (no plotting library needed).

Text is set in DejaVu Sans when a copy is found (``font_path``, the
``CALIB_PDF_FONT`` environment variable, or the usual system locations) so that
'ν', '±' and '°C' render; otherwise in the PDF core font Helvetica with
characters outside Latin-1 spelled out (ν -> nu).

References
----------
CONTRACTS.md section 6 (evidence pack); ISO/IEC 17025:2017 7.8 (reporting).
"""

from __future__ import annotations

import io
import itertools
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from fpdf import FPDF

from calib.assessment.spc import IndividualsChart

__all__ = ["ReportSection", "build_report_pdf", "find_unicode_font"]

_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/Library/Fonts/DejaVuSans.ttf",
)
_STATUS_COLOURS = {
    "conforming": (198, 239, 206),
    "finding": (255, 199, 206),
    "missing": (255, 235, 156),
}
_ASCII = {
    "ν": "nu",
    "σ": "sigma",
    "μ": "mu",
    "≤": "<=",
    "≥": ">=",
    "−": "-",
    "–": "-",
    "—": "-",
    "≠": "!=",
}


@dataclass(frozen=True)
class ReportSection:
    """One requirement's section of the report."""

    id: str
    clause: str
    title: str
    status: str
    messages: Sequence[str] = field(default=())
    key_figures: Sequence[tuple[str, str]] = field(default=())
    charts_png: Sequence[bytes] = field(default=())
    control_chart: IndividualsChart | None = None
    evidence: Sequence[str] = field(default=())


def find_unicode_font(font_path: Path | str | None = None) -> Path | None:
    """The first DejaVu-like TTF found: argument, ``CALIB_PDF_FONT``, system paths."""
    candidates = [font_path, os.environ.get("CALIB_PDF_FONT"), *_FONT_CANDIDATES]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


class _Report(FPDF):  # type: ignore[misc]
    def __init__(self, font: Path | None, footer_text: str) -> None:
        super().__init__(format="A4")
        self.unicode = font is not None
        self.footer_text = footer_text
        if font is not None:
            self.add_font("body", "", str(font))
            bold = font.with_name(font.stem + "-Bold" + font.suffix)
            self.add_font("body", "B", str(bold if bold.is_file() else font))
            self.family_name = "body"
        else:
            self.family_name = "helvetica"
        self.set_auto_page_break(auto=True, margin=18)

    def text_of(self, text: str) -> str:
        if self.unicode:
            return text
        for char, ascii_text in _ASCII.items():
            text = text.replace(char, ascii_text)
        return text.encode("latin-1", "replace").decode("latin-1")

    def use(self, size: float, bold: bool = False) -> None:
        self.set_font(self.family_name, "B" if bold else "", size)

    def footer(self) -> None:
        self.set_y(-12)
        self.use(8)
        self.cell(0, 8, self.text_of(f"{self.footer_text} - page {self.page_no()}"), align="C")


def _control_chart(
    pdf: _Report, chart: IndividualsChart, width: float = 170, height: float = 60
) -> None:
    """Draw an individuals chart: points, centre line, limits, signalled points in red."""
    x0, y0 = pdf.l_margin + 10, pdf.get_y() + 2
    values = chart.values
    low = min(min(values), chart.lcl)
    high = max(max(values), chart.ucl)
    span = (high - low) or 1.0
    low, high = low - 0.05 * span, high + 0.05 * span

    def xy(i: int, v: float) -> tuple[float, float]:
        x = x0 + (width - 10) * (i / max(len(values) - 1, 1))
        return x, y0 + height * (1 - (v - low) / (high - low))

    pdf.set_draw_color(0, 0, 0)
    pdf.rect(x0, y0, width - 10, height)
    pdf.use(7)
    for label, level, colour in (
        ("UCL", chart.ucl, (200, 0, 0)),
        ("CL", chart.centre, (0, 120, 0)),
        ("LCL", chart.lcl, (200, 0, 0)),
    ):
        pdf.set_draw_color(*colour)
        _, y = xy(0, level)
        pdf.line(x0, y, x0 + width - 10, y)
        pdf.set_xy(x0 + width - 9, y - 2)
        pdf.cell(12, 4, f"{label} {level:.4g}")
    flagged = {i for s in chart.signals for i in s.indices}
    pdf.set_draw_color(40, 40, 160)
    points = [xy(i, v) for i, v in enumerate(values)]
    for a, b in itertools.pairwise(points):
        pdf.line(a[0], a[1], b[0], b[1])
    for i, (x, y) in enumerate(points):
        pdf.set_fill_color(*((220, 0, 0) if i in flagged else (40, 40, 160)))
        pdf.ellipse(x - 0.9, y - 0.9, 1.8, 1.8, style="F")
    pdf.set_draw_color(0, 0, 0)
    pdf.set_xy(pdf.l_margin, y0 + height + 3)


def build_report_pdf(
    *,
    lab: str,
    site: str | None,
    as_of: date,
    sections: Sequence[ReportSection],
    generated_at: datetime,
    title: str = "Service assessment evidence report",
    font_path: Path | str | None = None,
) -> bytes:
    """Build the evidence report PDF and return its bytes.

    References
    ----------
    CONTRACTS.md section 6; ISO/IEC 17025:2017 7.8.
    """
    font = find_unicode_font(font_path)
    pdf = _Report(font, f"{lab} - {site or 'all sites'} - as of {as_of.isoformat()}")
    t = pdf.text_of
    pdf.set_title(t(title))
    pdf.set_creator("calib")
    pdf.add_page()
    pdf.use(22, bold=True)
    pdf.ln(40)
    pdf.multi_cell(0, 12, t(title), align="C")
    pdf.ln(10)
    pdf.use(14)
    for line in (
        f"Laboratory: {lab}",
        f"Site: {site or 'all sites'}",
        f"As of: {as_of.isoformat()}",
        f"Generated: {generated_at.isoformat(timespec='seconds')}",
    ):
        pdf.cell(0, 9, t(line), align="C", new_x="LMARGIN", new_y="NEXT")
    counts = {s: sum(1 for x in sections if x.status == s) for s in _STATUS_COLOURS}
    pdf.ln(6)
    pdf.cell(
        0,
        9,
        t(
            f"{len(sections)} requirements: {counts['conforming']} conforming, "
            f"{counts['finding']} finding, {counts['missing']} missing"
        ),
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )

    pdf.add_page()
    pdf.use(16, bold=True)
    pdf.cell(0, 10, t("Summary"), new_x="LMARGIN", new_y="NEXT")
    pdf.use(9, bold=True)
    widths = (22, 48, 90, 30)
    for text, width in zip(("Id", "Clause", "Requirement", "Status"), widths, strict=True):
        pdf.cell(width, 7, t(text), border=1)
    pdf.ln()
    pdf.use(9)
    for sec in sections:
        pdf.cell(widths[0], 7, t(sec.id), border=1)
        pdf.cell(widths[1], 7, t(sec.clause)[:34], border=1)
        pdf.cell(widths[2], 7, t(sec.title)[:60], border=1)
        pdf.set_fill_color(*_STATUS_COLOURS.get(sec.status, (230, 230, 230)))
        pdf.cell(widths[3], 7, t(sec.status), border=1, fill=True)
        pdf.ln()

    for sec in sections:
        pdf.add_page()
        pdf.use(14, bold=True)
        pdf.multi_cell(0, 8, t(f"{sec.id} {sec.title}"), new_x="LMARGIN", new_y="NEXT")
        pdf.use(10)
        pdf.cell(0, 6, t(f"Clause: {sec.clause}"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_fill_color(*_STATUS_COLOURS.get(sec.status, (230, 230, 230)))
        pdf.use(10, bold=True)
        pdf.cell(50, 7, t(f"Status: {sec.status}"), fill=True, new_x="LMARGIN", new_y="NEXT")
        pdf.use(10)
        pdf.ln(2)
        for message in sec.messages:
            pdf.multi_cell(0, 5, t(f"- {message}"), new_x="LMARGIN", new_y="NEXT")
        if sec.key_figures:
            pdf.ln(2)
            pdf.use(10, bold=True)
            pdf.cell(0, 6, t("Key figures"), new_x="LMARGIN", new_y="NEXT")
            pdf.use(10)
            for name, value in sec.key_figures:
                pdf.cell(70, 6, t(name), border=1)
                pdf.cell(100, 6, t(value), border=1, new_x="LMARGIN", new_y="NEXT")
        if sec.control_chart is not None:
            pdf.ln(3)
            pdf.use(10, bold=True)
            pdf.cell(0, 6, t("Control chart (individuals)"), new_x="LMARGIN", new_y="NEXT")
            _control_chart(pdf, sec.control_chart)
        for png in sec.charts_png:
            pdf.ln(3)
            pdf.image(io.BytesIO(png), w=160)
        if sec.evidence:
            pdf.ln(2)
            pdf.use(9)
            pdf.multi_cell(
                0, 5, t("Evidence: " + ", ".join(sec.evidence)), new_x="LMARGIN", new_y="NEXT"
            )
    return bytes(pdf.output())
