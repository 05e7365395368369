"""One error root for every calib package (STYLE.md rule 5).

Each error also inherits the builtin it resembles, so callers that only know the
standard library still catch it (``InvalidInputError`` is a ``ValueError``).
Messages name the field, show the bad value and say what is allowed.
"""

from __future__ import annotations

__all__ = [
    "CalibError",
    "ConflictError",
    "DatabaseUnavailableError",
    "ImmutableRecordError",
    "InvalidInputError",
    "ModelSyntaxError",
    "NotFoundError",
    "PermissionDeniedError",
    "UnitMismatchError",
]


class CalibError(Exception):
    """Root of every error raised on purpose by calib."""


class InvalidInputError(CalibError, ValueError):
    """Bad input at a boundary (document, CSV cell, form field, CLI flag).

    Parameters
    ----------
    message:
        Complete sentence: what is wrong, the bad value, what is allowed.
    field:
        Dotted path of the offending field, e.g. ``inputs.l_s.standard_uncertainty``
        or ``row 4, column value``.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field

    def __str__(self) -> str:
        text = super().__str__()
        if self.field and not text.startswith(self.field):
            return f"{self.field}: {text}"
        return text


class ModelSyntaxError(InvalidInputError):
    """A measurement-model expression uses syntax or names that are not allowed."""


class UnitMismatchError(InvalidInputError):
    """Quantities of incompatible dimensions were combined or converted."""


class NotFoundError(CalibError, LookupError):
    """A referenced record or id does not exist."""


class ConflictError(CalibError, ValueError):
    """The operation conflicts with stored state (duplicate, already used, non-empty db)."""


class PermissionDeniedError(CalibError, PermissionError):
    """The signed-in role may not do this."""


class ImmutableRecordError(CalibError, PermissionError):
    """A released / approved / submitted record was changed in place; make a new version."""


class DatabaseUnavailableError(CalibError, ConnectionError):
    """The configured database cannot be reached or its URL is malformed."""
