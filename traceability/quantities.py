"""Quantity names, units and the normalisation rule used before any comparison.

Certificates, CMC lines and events give a value with its own unit (a certificate in mV
against a CMC in V) and an expanded uncertainty with its own coverage factor. Before
two uncertainties are compared they are brought to standard uncertainties u = U/k in
the SI base unit of the quantity (PITFALLS "Traceability"; JCGM 100:2008 6.2.1 and
6.3.1 for U = k·u). Conversion factors come from the one pint registry and are cached
per unit string, so the inner loops work on floats.

References
----------
JCGM 100:2008 (GUM) 6.2.1, 6.3.1 (expanded uncertainty U = k·u).
ILAC P14:09/2020 (comparison of reported uncertainty with the CMC after normalisation).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from uncertainty.errors import InvalidInputError
from uncertainty.units import ureg

__all__ = [
    "QUANTITY_UNITS",
    "UnitInfo",
    "normalise_quantity_name",
    "unit_info",
    "unit_matches_quantity",
]

#: Quantity names the register knows, mapped to a unit whose dimension they must have.
#: Names are compared case-insensitively with surrounding blanks removed. A quantity
#: not listed here is allowed; then only its unit must parse.
QUANTITY_UNITS: dict[str, str] = {
    "dc voltage": "V",
    "ac voltage": "V",
    "voltage": "V",
    "dc current": "A",
    "ac current": "A",
    "current": "A",
    "resistance": "ohm",
    "dc resistance": "ohm",
    "impedance": "ohm",
    "capacitance": "F",
    "inductance": "H",
    "power": "W",
    "ac power": "W",
    "dc power": "W",
    "frequency": "Hz",
    "time": "s",
    "time interval": "s",
    "mass": "kg",
    "length": "m",
    "angle": "rad",
    "temperature": "K",
    "pressure": "Pa",
    "force": "N",
    "torque": "N*m",
    "volume": "m**3",
    "density": "kg/m**3",
    "flow": "m**3/s",
    "luminous intensity": "cd",
    "amount of substance": "mol",
    "relative humidity": "percent",
    "humidity": "percent",
}


@functools.lru_cache(maxsize=4096)
def normalise_quantity_name(name: str) -> str:
    """Return the comparison key of a quantity name (lower case, single blanks).

    >>> normalise_quantity_name("  DC   Voltage ")
    'dc voltage'
    """
    return " ".join(name.split()).lower()


@dataclass(frozen=True, slots=True)
class UnitInfo:
    """How one unit string maps onto the SI base unit of its dimension.

    ``value_si = offset + scale * value`` for a value (absolute temperatures have an
    offset); ``delta_si = scale * delta`` for an uncertainty, a tolerance or an error,
    which are differences (PITFALLS: uncertainties of temperature are ``delta_degC``).
    """

    unit: str
    dimensionality: str
    scale: float
    offset: float


@functools.lru_cache(maxsize=4096)
def unit_info(unit: str) -> UnitInfo:
    """Parse ``unit`` once and return its conversion to SI base units.

    Raises
    ------
    InvalidInputError
        If pint cannot parse the unit.

    >>> info = unit_info("mV")
    >>> round(info.scale, 12), info.offset
    (0.001, 0.0)
    >>> unit_info("degC").offset
    273.15
    """
    try:
        parsed = ureg.parse_units(unit)
        zero = ureg.Quantity(0.0, parsed).to_base_units()
        one = ureg.Quantity(1.0, parsed).to_base_units()
    except Exception as exc:  # pint raises several unrelated types for bad units
        raise InvalidInputError(
            f"unit {unit!r} is not a unit pint understands (e.g. 'V', 'mV', 'kg', 'degC')",
            field="unit",
        ) from exc
    offset = float(zero.magnitude)
    scale = float(one.magnitude) - offset
    return UnitInfo(
        unit=unit,
        dimensionality=str(ureg.Quantity(1.0, parsed).dimensionality),
        scale=scale,
        offset=offset,
    )


def unit_matches_quantity(quantity: str, unit: str) -> bool | None:
    """Whether ``unit`` has the dimension of the named ``quantity``.

    Returns ``None`` when the quantity name is not in :data:`QUANTITY_UNITS` (then
    only the unit's own parse matters).

    >>> unit_matches_quantity("DC voltage", "mV")
    True
    >>> unit_matches_quantity("mass", "V")
    False
    >>> unit_matches_quantity("luminance of a widget", "cd/m**2") is None
    True
    """
    expected = QUANTITY_UNITS.get(normalise_quantity_name(quantity))
    if expected is None:
        return None
    return unit_info(unit).dimensionality == unit_info(expected).dimensionality
