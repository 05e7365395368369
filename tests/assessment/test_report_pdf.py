"""Report PDF: renders, text present (Unicode), charts drawn."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pymupdf
import pytest
from PIL import Image

from calib.assessment.report_pdf import ReportSection, build_report_pdf, find_unicode_font
from calib.assessment.spc import individuals_chart

NIST_FLOW_RATE = [49.6, 47.6, 49.9, 51.3, 47.8, 51.2, 52.6, 52.4, 53.6, 52.1, 58.0]


def png_bytes() -> bytes:
    image = Image.new("RGB", (200, 80), "white")
    for x in range(20, 180):
        image.putpixel((x, 40), (0, 0, 200))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def sections() -> list[ReportSection]:
    return [
        ReportSection(
            id="UNC-01",
            clause="ISO/IEC 17025:2017 7.6",
            title="Uncertainty budgets",
            status="conforming",
            messages=["All 12 procedures have an approved budget."],
            key_figures=[("U (k = 2.00, ν_eff = 45)", "± 0.12 °C")],
            charts_png=[png_bytes()],
            evidence=["evidence/budgets.json"],
        ),
        ReportSection(
            id="EQP-02",
            clause="ISO/IEC 17025:2017 6.4.10",
            title="Check standards",
            status="finding",
            messages=["Check standard CS-1: WE1 at point 11."],
            control_chart=individuals_chart(NIST_FLOW_RATE, baseline=10),
        ),
        ReportSection(
            id="MR-01",
            clause="ISO/IEC 17025:2017 8.9",
            title="Management reviews",
            status="missing",
        ),
    ]


def build(font: Path | str | None = None) -> bytes:
    return build_report_pdf(
        lab="Example Calibration Lab",
        site="HQ",
        as_of=date(2026, 3, 1),
        sections=sections(),
        generated_at=datetime(2026, 3, 3, 12, 0, tzinfo=UTC),
        font_path=font,
    )


def test_title_page_text_present() -> None:
    doc = pymupdf.open(stream=build(), filetype="pdf")
    first = doc[0].get_text()
    assert "Example Calibration Lab" in first
    assert "As of: 2026-03-01" in first
    assert "1 conforming, 1 finding, 1 missing" in first
    pixmap = doc[0].get_pixmap(dpi=50)
    assert len(set(pixmap.samples)) > 1  # the rendered page is not blank
    assert doc.page_count == 5  # title, summary, one page per requirement


def test_summary_and_sections() -> None:
    doc = pymupdf.open(stream=build(), filetype="pdf")
    summary = doc[1].get_text()
    for text in ("UNC-01", "EQP-02", "MR-01", "conforming", "finding", "missing"):
        assert text in summary
    assert "Key figures" in doc[2].get_text()
    assert "evidence/budgets.json" in doc[2].get_text()
    assert "Control chart" in doc[3].get_text()


@pytest.mark.skipif(find_unicode_font() is None, reason="no DejaVu Sans on this machine")
def test_unicode_symbols_render_with_dejavu() -> None:
    text = pymupdf.open(stream=build(), filetype="pdf")[2].get_text()
    assert "ν_eff" in text and "± 0.12 °C" in text


def test_core_font_fallback_spells_out_greek(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import calib.assessment.report_pdf as module

    monkeypatch.setattr(module, "_FONT_CANDIDATES", ())
    monkeypatch.delenv("CALIB_PDF_FONT", raising=False)
    text = pymupdf.open(stream=build(tmp_path / "absent.ttf"), filetype="pdf")[2].get_text()
    assert "nu_eff" in text and "± 0.12 °C" in text


def test_charts_are_drawn() -> None:
    doc = pymupdf.open(stream=build(), filetype="pdf")
    assert doc[2].get_images()  # the caller's PNG is embedded
    page = doc[3]
    assert len(page.get_drawings()) > len(NIST_FLOW_RATE)  # points, lines, limits
    pixmap = page.get_pixmap(dpi=60)
    pixels = np.frombuffer(pixmap.samples, dtype=np.uint8).reshape(-1, pixmap.n)
    red = int(np.sum((pixels[:, 0] > 180) & (pixels[:, 1] < 60) & (pixels[:, 2] < 60)))
    assert red > 0  # limit lines and the signalled point are red
