"""`calib demo`."""

from __future__ import annotations


def demo() -> None:
    """Not yet built."""
    raise SystemExit(2)
