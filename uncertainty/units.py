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
    "DIMENSIONLESS",
    "Q_",
    "delta_unit",
    "is_logarithmic_unit",
    "is_offset_unit",
    "parse_unit",
    "unit_label",
    "unit_power",
    "unit_product",
    "unit_quotient",
    "ureg",
]

ureg: pint.UnitRegistry = pint.UnitRegistry(  # type: ignore[type-arg]
    autoconvert_offset_to_baseunit=False
)
ureg.formatter.default_format = "~P"
Q_ = ureg.Quantity
pint.set_application_registry(ureg)  # type: ignore[no-untyped-call]

DIMENSIONLESS: pint.Unit = ureg.Unit("dimensionless")
"""Built once: ``ureg.dimensionless`` builds a new unit on every access (~40 µs)."""

_PARSED: dict[str, pint.Unit | None] = {}
"""Unit text -> parsed unit (``None``: unknown); bounded, see :func:`parse_unit`."""
_MAX_PARSED = 4096


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


@functools.lru_cache(maxsize=1024)
def delta_unit(unit: pint.Unit) -> pint.Unit:
    """The difference unit of ``unit``: ``degC`` -> ``delta_degC``; others unchanged.

    An uncertainty, correction or difference of an absolute temperature is a
    temperature difference: 0.05 degC of uncertainty is 0.05 K, never 273.2 K.
    """
    if not is_offset_unit(unit):
        return unit
    result: pint.Unit = (Q_(0.0, unit) - Q_(0.0, unit)).units
    return result


# Unit algebra of a model is done once per (unit, unit) pair: pint builds a new unit
# (~10-15 µs) on every product; a budget of 100 inputs in a handful of units repeats the
# same few products many times.
@functools.lru_cache(maxsize=4096)
def unit_product(a: pint.Unit, b: pint.Unit) -> pint.Unit:
    """``a * b`` (cached)."""
    result: pint.Unit = a * b
    return result


@functools.lru_cache(maxsize=4096)
def unit_quotient(a: pint.Unit, b: pint.Unit) -> pint.Unit:
    """``a / b`` (cached)."""
    result: pint.Unit = a / b
    return result


@functools.lru_cache(maxsize=4096)
def unit_power(a: pint.Unit, exponent: float) -> pint.Unit:
    """``a ** exponent`` (cached)."""
    result: pint.Unit = a**exponent  # type: ignore[assignment]
    return result


def _parse_unit_text(text: str) -> pint.Unit | None:
    """Cached parse (pint units are immutable); ``None`` when pint does not know it."""
    try:
        return _PARSED[text]
    except KeyError:
        pass
    try:
        unit: pint.Unit | None = ureg.Unit(text)
    except Exception:  # pint raises several types for bad unit text
        unit = None
    if unit is not None and is_logarithmic_unit(unit):
        unit = DIMENSIONLESS
    if len(_PARSED) >= _MAX_PARSED:
        _PARSED.clear()
    _PARSED[text] = unit
    return unit


def parse_unit(text: str, *, field: str | None = None) -> pint.Unit:
    """Parse a unit string with the one registry (``""`` is dimensionless).

    Logarithmic units (``dB``, ``dBm`` ...) are returned as ``dimensionless``: labs add
    and subtract them as plain numbers (CONTRACTS.md section 1); keep the original text
    as the display label. Parsed units are cached per text.

    Raises
    ------
    InvalidInputError
        When pint does not know the unit.
    """
    unit = _PARSED.get(text) if isinstance(text, str) else None
    if unit is not None:
        return unit
    from uncertainty.errors import InvalidInputError

    if not isinstance(text, str):
        raise InvalidInputError(f"unit must be a string, got {text!r}", field=field)
    stripped = text.strip()
    if stripped in ("", "1", "dimensionless"):
        if len(_PARSED) < _MAX_PARSED:
            _PARSED[text] = DIMENSIONLESS
        return DIMENSIONLESS
    if len(stripped) > 100:
        raise InvalidInputError(f"unit is too long ({len(stripped)} characters)", field=field)
    unit = _parse_unit_text(stripped)
    if unit is None:
        raise InvalidInputError(
            f"unknown unit {text!r} (use a pint unit such as 'mm', 'degC', 'delta_degC', "
            "'ohm', '1/K', '' for dimensionless)",
            field=field,
        )
    if len(_PARSED) < _MAX_PARSED:
        _PARSED[text] = unit
    return unit


@functools.lru_cache(maxsize=1024)
def unit_label(unit: pint.Unit) -> str:
    """Short display form of a unit (``""`` for dimensionless)."""
    if unit.dimensionless and not _unit_names(unit):
        return ""
    return format(unit, "~P")
