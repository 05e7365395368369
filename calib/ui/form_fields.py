"""Parsing of free-text form boxes shared by the pages (errors name the field)."""

from __future__ import annotations

from uncertainty.errors import InvalidInputError

__all__ = ["optional_float"]


def optional_float(text: str, field: str) -> float | None:
    """``None`` for a blank box, else the number (an error naming ``field`` otherwise).

    A text box rather than ``st.number_input`` because an optional limit must be able to
    stay empty, which a number input cannot.
    """
    if not text.strip():
        return None
    try:
        return float(text)
    except ValueError as exc:
        raise InvalidInputError(f"{field} must be a number, got {text!r}", field=field) from exc
