"""The one pint ``UnitRegistry`` of the whole program (STYLE.md rule 2).

Temperatures: ``degC`` is an absolute (offset) temperature; differences,
corrections and uncertainties of temperature are ``delta_degC`` or ``K``.
Logarithmic units such as ``dB`` are treated as additive plain numbers, as
calibration labs do (see ``uncertainty.model``).
"""

from __future__ import annotations

import pint

__all__ = ["Q_", "ureg"]

ureg: pint.UnitRegistry = pint.UnitRegistry(  # type: ignore[type-arg]
    autoconvert_offset_to_baseunit=False
)
ureg.formatter.default_format = "~P"
Q_ = ureg.Quantity
pint.set_application_registry(ureg)  # type: ignore[no-untyped-call]
