"""The one pint ``UnitRegistry`` of the whole program (STYLE.md rule 2).

Temperatures: ``degC`` is an absolute (offset) temperature; differences,
corrections and uncertainties of temperature are ``delta_degC`` or ``K``.
Logarithmic units such as ``dB`` are treated as additive plain numbers, as
calibration labs do (see ``uncertainty.model``).
"""

from __future__ import annotations

import functools

import pint

__all__ = [
    "Q_",
    "delta_unit",
    "is_logarithmic_unit",
    "is_offset_unit",
    "parse_unit",
    "unit_label",
    "ureg",
]

ureg: pint.UnitRegistry = pint.UnitRegistry(  # type: ignore[type-arg]
    autoconvert_offset_to_baseunit=False
)
ureg.formatter.default_format = "~P"
Q_ = ureg.Quantity
pint.set_application_registry(ureg)  # type: ignore[no-untyped-call]


def _unit_names(unit: pint.Unit) -> list[str]:
    return list(unit._units.keys())


@functools.lru_cache(maxsize=1024)
def is_offset_unit(unit: pint.Unit) -> bool:
    """True for an absolute temperature scale with an offset (``degC``, ``degF``)."""
    return any(not ureg._units[name].is_multiplicative for name in _unit_names(unit))


@functools.lru_cache(maxsize=1024)
def is_logarithmic_unit(unit: pint.Unit) -> bool:
    """True for logarithmic units (``dB``, ``dBm``, ``Np`` ...)."""
    return any(getattr(ureg._units[name], "is_logarithmic", False) for name in _unit_names(unit))


def delta_unit(unit: pint.Unit) -> pint.Unit:
    """The difference unit of ``unit``: ``degC`` -> ``delta_degC``; others unchanged.

    An uncertainty, correction or difference of an absolute temperature is a
    temperature difference: 0.05 degC of uncertainty is 0.05 K, never 273.2 K.
    """
    if not is_offset_unit(unit):
        return unit
    result: pint.Unit = (Q_(0.0, unit) - Q_(0.0, unit)).units
    return result


@functools.lru_cache(maxsize=1024)
def _parse_unit_text(text: str) -> pint.Unit | None:
    """Cached parse (pint units are immutable); ``None`` when pint does not know it."""
    try:
        unit: pint.Unit = ureg.Unit(text)
    except Exception:  # pint raises several types for bad unit text
        return None
    if is_logarithmic_unit(unit):
        return ureg.dimensionless
    return unit


def parse_unit(text: str, *, field: str | None = None) -> pint.Unit:
    """Parse a unit string with the one registry (``""`` is dimensionless).

    Logarithmic units (``dB``, ``dBm`` ...) are returned as ``dimensionless``: labs add
    and subtract them as plain numbers (CONTRACTS.md section 1); keep the original text
    as the display label.

    Raises
    ------
    InvalidInputError
        When pint does not know the unit.
    """
    from uncertainty.errors import InvalidInputError

    if not isinstance(text, str):
        raise InvalidInputError(f"unit must be a string, got {text!r}", field=field)
    stripped = text.strip()
    if stripped in ("", "1", "dimensionless"):
        return ureg.dimensionless
    if len(stripped) > 100:
        raise InvalidInputError(f"unit is too long ({len(stripped)} characters)", field=field)
    unit = _parse_unit_text(stripped)
    if unit is None:
        raise InvalidInputError(
            f"unknown unit {text!r} (use a pint unit such as 'mm', 'degC', 'delta_degC', "
            "'ohm', '1/K', '' for dimensionless)",
            field=field,
        )
    return unit


def unit_label(unit: pint.Unit) -> str:
    """Short display form of a unit (``""`` for dimensionless)."""
    if unit.dimensionless and not _unit_names(unit):
        return ""
    return format(unit, "~P")
