"""`calib budget fit` (calibration curves, CONTRACTS.md section 2)."""

from __future__ import annotations


def fit() -> None:
    """Fit a calibration straight line (not yet built)."""
    raise SystemExit(2)
