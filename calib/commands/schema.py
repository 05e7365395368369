"""`calib schema`."""

from __future__ import annotations


def schema() -> None:
    """Not yet built."""
    raise SystemExit(2)
