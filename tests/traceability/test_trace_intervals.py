"""Interval recommendations (ILAC G24:2007 / OIML D 10:2007 methods 1 and 2)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from traceability.intervals import AsFoundRecord, recommend_intervals, staircase_interval
from traceability.schema import load_register


def _history(found: list[float], left: list[float | None]) -> dict[str, Any]:
    certs = []
    for i, (error, as_left) in enumerate(zip(found, left, strict=True)):
        certs.append(
            {
                "id": f"C-{i}",
                "instrument": "G-1",
                "issuer": "NMI",
                "calibrated_on": f"{2020 + i}-03-01",
                "due": f"{2021 + i}-03-01",
                "points": [
                    {
                        "quantity": "length",
                        "value": 100,
                        "unit": "mm",
                        "expanded_uncertainty": 0.0005,
                        "tolerance": 0.010,
                        "as_found_error": error,
                        "as_left_error": as_left,
                    }
                ],
            }
        )
    return {
        "issuers": [{"id": "NMI", "kind": "nmi"}],
        "instruments": [{"id": "G-1", "description": "gauge block"}],
        "certificates": certs,
    }


def _rec(report: Any, method: str) -> Any:
    return next(r for r in report.recommendations if r.method == method)


def test_staircase_steps() -> None:
    """Method 1: 12 -> 14.4 (in) -> 17.28 (in) -> 8.64 (out), +20 % / -50 % (hand-worked)."""
    day = date(2024, 1, 1)
    history = (
        AsFoundRecord("A", day, 12.0, True),
        AsFoundRecord("B", day, 12.0, None),
        AsFoundRecord("C", day, 12.0, True),
        AsFoundRecord("D", day, 12.0, False),
    )
    rec = staircase_interval(history, 12.0)
    assert rec.interval_months == pytest.approx(8.64, abs=1e-12)
    assert "OUT of tolerance" in rec.reasoning
    assert staircase_interval((), 12.0).interval_months is None


def test_staircase_is_bounded() -> None:
    history = tuple(AsFoundRecord(str(i), date(2024, 1, 1), 12.0, True) for i in range(30))
    assert staircase_interval(history, 12.0).interval_months == 60.0


def test_drift_method() -> None:
    """Method 2: drift 0.003 mm per 12 months after each adjustment to 0; margin 0.010 mm
    at 0.00025 mm/month (s = 0) lasts 40 months (hand-worked)."""
    doc = _history([0.001, 0.003, 0.003, 0.003], [0.0, 0.0, 0.0, 0.0])
    report = recommend_intervals(load_register(doc), "G-1")
    assert report.current_interval_months == 12.0
    drift = _rec(report, "drift")
    assert drift.interval_months == pytest.approx(40.0, rel=1e-9)
    assert "length 100 mm" in drift.reasoning
    assert _rec(report, "staircase").interval_months == pytest.approx(12 * 1.2**4, rel=1e-12)


def test_drift_without_adjustment_uses_previous_as_found() -> None:
    """No as-left: drift from the previous as-found; 0.002 mm/12 months, margin 0.010 - 0.007."""
    doc = _history([0.001, 0.003, 0.005, 0.007], [None, None, None, None])
    drift = _rec(recommend_intervals(load_register(doc), "G-1"), "drift")
    assert drift.interval_months == pytest.approx(0.003 / (0.002 / 12), rel=1e-9)


def test_drift_needs_history() -> None:
    doc = _history([0.001], [0.0])
    drift = _rec(recommend_intervals(load_register(doc), "G-1"), "drift")
    assert drift.interval_months is None
