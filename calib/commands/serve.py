"""`calib serve`."""

from __future__ import annotations


def serve() -> None:
    """Not yet built."""
    raise SystemExit(2)
