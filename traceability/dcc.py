"""Reading a PTB Digital Calibration Certificate (DCC, XML schema v3.x) into the register.

:func:`parse_dcc` takes the document's bytes (or text) and returns a
:class:`DccCertificate`: the certificate as the register's own
:class:`~traceability.schema.CertificateInput` (id, calibration and issue dates, points
with quantity, value, unit, U and k), the calibrated item (manufacturer, model, serial)
and the calibration laboratory. It does no I/O and touches no database; storing is the
job of ``calib trace import-dcc`` (calib/commands/trace_dcc.py).

What is read (paths below ``dcc:digitalCalibrationCertificate``):

* ``dcc:administrativeData/dcc:coreData``: ``dcc:uniqueIdentifier`` (certificate id),
  ``dcc:endPerformanceDate`` (calibration date), ``dcc:issueDate`` (v3.2+, optional).
* ``dcc:administrativeData/dcc:items/dcc:item`` (exactly one): ``dcc:name``,
  ``dcc:manufacturer/dcc:name``, ``dcc:model``, ``dcc:identifications`` (the serial).
* ``dcc:administrativeData/dcc:calibrationLaboratory``: code and contact name.
* Every ``dcc:quantity`` under ``dcc:measurementResults/dcc:measurementResult/
  dcc:results/dcc:result/dcc:data`` (also inside ``dcc:list``) that states an
  uncertainty: ``si:real`` (one point) or ``si:realListXMLList`` (one point per value),
  directly or as the first representation of an ``si:hybrid``. Quantities without an
  uncertainty (reference values, indications, text) are listed in ``skipped``.

Uncertainty: ``si:expandedUnc`` (``si:uncertainty``, ``si:coverageFactor``) or
``si:measurementUncertaintyUnivariate`` (``si:expandedMU`` with ``si:valueExpandedMU``
and ``si:coverageFactor``, or ``si:standardMU``: a standard uncertainty is U with k = 1,
JCGM 100:2008 6.2.1); the list forms ``si:expandedUncXMLList`` and
``si:measurementUncertaintyUnivariateXMLList`` hold one entry per value or one for all.
D-SI units (``\\milli\\volt``, ``\\metre\\per\\second\\tothe{2}``) become pint units of
the one registry (uncertainty/units.py) by :func:`dsi_to_pint`.

Every refusal is an ``InvalidInputError`` whose ``field`` is the element path, e.g.
``dcc:measurementResults/dcc:measurementResult[1]/.../dcc:quantity[2]/si:real/si:unit``.
XML with a DTD, entities or external references is refused (defusedxml).

References
----------
PTB DCC schema v3.x, https://ptb.de/dcc (element names); D-SI metadata model 2.x,
https://ptb.de/si (``si:real``, unit syntax); JCGM 100:2008 6.2.1, 6.3.1 (U = k·u).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from typing import TypeVar
from xml.etree.ElementTree import Element, ParseError

import defusedxml  # type: ignore[import-untyped]  # no stubs shipped
import defusedxml.ElementTree as SafeET  # type: ignore[import-untyped]
from pydantic import BaseModel, ConfigDict, Field

from traceability.quantities import unit_info
from traceability.register import Point
from traceability.schema import CertificateInput, InstrumentInput, PointInput
from uncertainty.errors import InvalidInputError
from uncertainty.units import parse_unit

__all__ = [
    "DCC_NAMESPACE",
    "MAX_DCC_BYTES",
    "SI_NAMESPACE",
    "DccCertificate",
    "DccItem",
    "DccLaboratory",
    "dsi_to_pint",
    "parse_dcc",
]

DCC_NAMESPACE = "https://ptb.de/dcc"
SI_NAMESPACE = "https://ptb.de/si"
#: Larger documents are refused before parsing (a DCC with an embedded PDF is a few MB).
MAX_DCC_BYTES = 50 * 1024 * 1024
_ROOT = "dcc:digitalCalibrationCertificate"
_NS = {"dcc": DCC_NAMESPACE, "si": SI_NAMESPACE}
_T = TypeVar("_T")


class DccItem(BaseModel):
    """The calibrated item as the DCC identifies it."""

    model_config = ConfigDict(frozen=True)

    description: str = ""
    manufacturer: str = ""
    model: str = ""
    serial: str = ""

    def instrument_input(self, instrument_id: str) -> InstrumentInput:
        """The register's instrument record for this item under ``instrument_id``."""
        return InstrumentInput(
            id=instrument_id,
            description=self.description,
            manufacturer=self.manufacturer,
            model=self.model,
            serial=self.serial,
        )


class DccLaboratory(BaseModel):
    """The calibration laboratory that issued the DCC."""

    model_config = ConfigDict(frozen=True)

    code: str = ""
    name: str = ""


class DccCertificate(BaseModel):
    """A parsed DCC: the certificate (issuer and instrument not yet mapped), item, lab.

    ``certificate.issuer`` and ``certificate.instrument`` are empty: the DCC names a
    laboratory and an item, not register ids; :meth:`for_register` fills them in.
    ``paths[j]`` is the element path of ``certificate.points[j]``; ``skipped`` lists
    the quantities that were not read, with the reason.
    """

    model_config = ConfigDict(frozen=True)

    schema_version: str
    certificate: CertificateInput
    item: DccItem
    laboratory: DccLaboratory
    paths: list[str] = Field(default_factory=list)
    skipped: list[str] = Field(default_factory=list)

    def for_register(self, *, issuer: str, instrument: str) -> CertificateInput:
        """The certificate with the register ids of its issuer and instrument."""
        return self.certificate.model_copy(update={"issuer": issuer, "instrument": instrument})


def parse_dcc(data: bytes | str) -> DccCertificate:
    """Parse a DCC v3.x document into the register's certificate model.

    Raises
    ------
    InvalidInputError
        With ``field`` the element path: not XML, DTD or entities, not a DCC (root
        element or namespace), schema version other than 3.x, missing certificate id or
        calibration date, not exactly one item, a unit that is not D-SI or unknown, an
        uncertainty without coverage factor, negative U, k ≤ 0, a unit that does not
        fit its quantity, no quantity with an uncertainty.
    """
    root = _parse_xml(data)
    if root.tag != f"{{{DCC_NAMESPACE}}}digitalCalibrationCertificate":
        raise InvalidInputError(
            f"not a DCC: the root element is {_plain(root.tag)!r}, expected "
            f"digitalCalibrationCertificate in namespace {DCC_NAMESPACE}",
            field="/",
        )
    version = (root.get("schemaVersion") or "").strip()
    if not re.fullmatch(r"3\.\d+(\.\d+)?", version):
        raise InvalidInputError(
            f"schemaVersion {version!r} is not supported; this reader knows DCC 3.x",
            field=f"{_ROOT}/@schemaVersion",
        )
    admin = _one(root, "dcc:administrativeData", _ROOT)
    core_path = f"{_ROOT}/dcc:administrativeData/dcc:coreData"
    core = _one(admin, "dcc:coreData", f"{_ROOT}/dcc:administrativeData")
    cert_id = _text(core, "dcc:uniqueIdentifier", core_path, required=True)
    calibrated_on = _date(core, "dcc:endPerformanceDate", core_path, required=True)
    issued_on = _date(core, "dcc:issueDate", core_path, required=False)
    assert calibrated_on is not None  # required=True above
    if issued_on is not None and issued_on < calibrated_on:
        raise InvalidInputError(
            f"issue date {issued_on} is before the calibration date {calibrated_on}",
            field=f"{core_path}/dcc:issueDate",
        )
    item = _item(admin)
    laboratory = _laboratory(admin)
    points, paths, skipped = _points(root)
    certificate = CertificateInput(
        id=cert_id,
        instrument="",
        issuer="",
        calibrated_on=calibrated_on,
        issued_on=issued_on,
        points=points,
    )
    return DccCertificate(
        schema_version=version,
        certificate=certificate,
        item=item,
        laboratory=laboratory,
        paths=paths,
        skipped=skipped,
    )


# ----------------------------------------------------------------------------- XML


def _parse_xml(data: bytes | str) -> Element:
    if not isinstance(data, bytes | str):
        raise InvalidInputError(f"a DCC is bytes or text, got {type(data).__name__}", field="/")
    if len(data) > MAX_DCC_BYTES:
        raise InvalidInputError(
            f"the document has {len(data)} bytes; at most {MAX_DCC_BYTES} are read", field="/"
        )
    try:
        root: Element = SafeET.fromstring(data, forbid_dtd=True)
    except defusedxml.DefusedXmlException as exc:
        raise InvalidInputError(
            f"refused: the XML has a DTD, entity declarations or external references "
            f"({type(exc).__name__}); a DCC needs none",
            field="/",
        ) from exc
    except ParseError as exc:
        raise InvalidInputError(f"not well-formed XML: {exc}", field="/") from exc
    except (ValueError, UnicodeError, LookupError) as exc:  # bad encoding declaration
        raise InvalidInputError(f"cannot read the XML: {exc}", field="/") from exc
    return root


def _plain(tag: str) -> str:
    """``{https://ptb.de/dcc}item`` -> ``dcc:item`` (other namespaces kept in braces)."""
    for prefix, uri in _NS.items():
        if tag.startswith(f"{{{uri}}}"):
            return f"{prefix}:{tag[len(uri) + 2 :]}"
    return tag


def _qname(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{_NS[prefix]}}}{local}"


def _all(parent: Element, name: str) -> list[Element]:
    return parent.findall(_qname(name))


def _one(parent: Element, name: str, path: str) -> Element:
    found = parent.find(_qname(name))
    if found is None:
        raise InvalidInputError(f"missing element {name}", field=f"{path}/{name}")
    return found


def _indexed(parent: Element, name: str, path: str) -> list[tuple[Element, str]]:
    """Children called ``name`` with their paths (1-based positions, as in XPath)."""
    return [(child, f"{path}/{name}[{n}]") for n, child in enumerate(_all(parent, name), 1)]


def _text(parent: Element, name: str, path: str, *, required: bool) -> str:
    found = parent.find(_qname(name))
    text = "" if found is None else "".join(found.itertext()).strip()
    if required and not text:
        raise InvalidInputError(
            f"missing or empty element {name} (required)", field=f"{path}/{name}"
        )
    return text


def _content(parent: Element | None) -> str:
    """The text of a ``dcc:textType`` (``dcc:content``), English preferred, else the first."""
    if parent is None:
        return ""
    contents = _all(parent, "dcc:content")
    if not contents:
        return "".join(parent.itertext()).strip()
    english = [c for c in contents if (c.get("lang") or "").lower() == "en"]
    return "".join((english or contents)[0].itertext()).strip()


_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:Z|[+-]\d{2}:\d{2})?")


def _date(parent: Element, name: str, path: str, *, required: bool) -> date | None:
    text = _text(parent, name, path, required=required)
    if not text:
        return None
    match = _DATE.fullmatch(text)
    try:
        if match is None:
            raise ValueError(text)
        return date.fromisoformat(match.group(1))
    except ValueError as exc:
        raise InvalidInputError(
            f"must be a date YYYY-MM-DD (xs:date), got {text!r}", field=f"{path}/{name}"
        ) from exc


# -------------------------------------------------------------------- item and lab


def _item(admin: Element) -> DccItem:
    path = f"{_ROOT}/dcc:administrativeData/dcc:items"
    items = _all(_one(admin, "dcc:items", f"{_ROOT}/dcc:administrativeData"), "dcc:item")
    if len(items) != 1:
        raise InvalidInputError(
            f"the DCC has {len(items)} items; a register certificate calibrates exactly one "
            "instrument",
            field=f"{path}/dcc:item",
        )
    item = items[0]
    manufacturer = item.find(_qname("dcc:manufacturer"))
    manufacturer_name = (
        _content(manufacturer.find(_qname("dcc:name"))) if manufacturer is not None else ""
    )
    return DccItem(
        description=_content(item.find(_qname("dcc:name"))),
        manufacturer=manufacturer_name,
        model=_text(item, "dcc:model", path, required=False),
        serial=_serial(item),
    )


def _serial(item: Element) -> str:
    """The item's serial number: the identification named "serial ...", else the
    manufacturer's identification, else the first one."""
    found = item.find(_qname("dcc:identifications"))
    rows = [] if found is None else _all(found, "dcc:identification")
    values = [
        (
            _content(row.find(_qname("dcc:name"))).lower(),
            (row.findtext(_qname("dcc:issuer")) or "").strip(),
            (row.findtext(_qname("dcc:value")) or "").strip(),
        )
        for row in rows
    ]
    for pick in (
        lambda name, issuer: "serial" in name,
        lambda name, issuer: issuer == "manufacturer",
        lambda name, issuer: True,
    ):
        for name, issuer, value in values:
            if value and pick(name, issuer):
                return value
    return ""


def _laboratory(admin: Element) -> DccLaboratory:
    lab = admin.find(_qname("dcc:calibrationLaboratory"))
    if lab is None:
        return DccLaboratory()
    contact = lab.find(_qname("dcc:contact"))
    name = _content(contact.find(_qname("dcc:name"))) if contact is not None else ""
    code = (lab.findtext(_qname("dcc:calibrationLaboratoryCode")) or "").strip()
    return DccLaboratory(code=code, name=name)


# -------------------------------------------------------------------------- points


@dataclass(frozen=True, slots=True)
class _Uncertainty:
    values: list[float]
    factors: list[float]


def _points(root: Element) -> tuple[list[PointInput], list[str], list[str]]:
    points: list[PointInput] = []
    paths: list[str] = []
    skipped: list[str] = []
    results_path = f"{_ROOT}/dcc:measurementResults"
    results = _one(root, "dcc:measurementResults", _ROOT)
    for mr, mr_path in _indexed(results, "dcc:measurementResult", results_path):
        block = mr.find(_qname("dcc:results"))
        if block is None:
            continue
        for result, r_path in _indexed(block, "dcc:result", f"{mr_path}/dcc:results"):
            data = result.find(_qname("dcc:data"))
            if data is None:
                continue
            fallback = _content(result.find(_qname("dcc:name")))
            _walk_data(data, f"{r_path}/dcc:data", fallback, points, paths, skipped)
    if not points:
        raise InvalidInputError(
            "no quantity with an uncertainty: the register needs at least one point with "
            "value, unit, U and k",
            field=f"{results_path}/dcc:measurementResult",
        )
    return points, paths, skipped


def _walk_data(
    data: Element,
    path: str,
    fallback: str,
    points: list[PointInput],
    paths: list[str],
    skipped: list[str],
) -> None:
    """Collect the points of every ``dcc:quantity`` below ``data`` (lists nest)."""
    for quantity, q_path in _indexed(data, "dcc:quantity", path):
        name = _content(quantity.find(_qname("dcc:name"))) or fallback
        read = _quantity(quantity, q_path, name)
        if isinstance(read, str):
            skipped.append(f"{q_path}: {read}")
            continue
        for k, point in enumerate(read):
            points.append(point)
            paths.append(q_path if len(read) == 1 else f"{q_path}#{k + 1}")
    for sub, l_path in _indexed(data, "dcc:list", path):
        _walk_data(sub, l_path, fallback, points, paths, skipped)


def _quantity(quantity: Element, path: str, name: str) -> list[PointInput] | str:
    """The points of one quantity, or why it was skipped."""
    node, node_path = quantity, path
    hybrid = quantity.find(_qname("si:hybrid"))
    if hybrid is not None:
        # si:hybrid holds the same quantity in several units: the first one is read.
        node, node_path = hybrid, f"{path}/si:hybrid"
    real = node.find(_qname("si:real"))
    listed = node.find(_qname("si:realListXMLList"))
    if real is None and listed is None:
        return "no si:real or si:realListXMLList (not a real number)"
    if real is not None:
        where = f"{node_path}/si:real"
        values = [_number(_one(real, "si:value", where), f"{where}/si:value")]
        unit_path = f"{where}/si:unit"
        units = [_text(real, "si:unit", where, required=True)]
        uncertainty = _single_uncertainty(real, where)
    else:
        assert listed is not None
        where = f"{node_path}/si:realListXMLList"
        values = _numbers(_one(listed, "si:valueXMLList", where), f"{where}/si:valueXMLList")
        unit_path = f"{where}/si:unitXMLList"
        units = _text(listed, "si:unitXMLList", where, required=True).split()
        units = _broadcast(units, len(values), unit_path, "units")
        uncertainty = _list_uncertainty(listed, where, len(values))
    if uncertainty is None:
        return "no uncertainty (si:expandedUnc or si:measurementUncertaintyUnivariate)"
    if not name:
        raise InvalidInputError(
            "the quantity has no name (dcc:name/dcc:content) to file its points under",
            field=f"{path}/dcc:name",
        )
    pint_units = {text: dsi_to_pint(text, field=unit_path) for text in set(units)}
    points = []
    for k, value in enumerate(values):
        point = PointInput(
            quantity=name,
            value=value,
            unit=pint_units[units[k]],
            expanded_uncertainty=uncertainty.values[k],
            coverage_factor=uncertainty.factors[k],
        )
        try:
            Point(**point.model_dump())
        except InvalidInputError as exc:
            raise InvalidInputError(
                f"{exc.args[0]} (D-SI unit {units[k]!r})" if exc.field == "unit" else exc.args[0],
                field=unit_path if exc.field == "unit" else where,
            ) from exc
        points.append(point)
    return points


def _number(element: Element, path: str) -> float:
    text = "".join(element.itertext()).strip()
    try:
        value = float(text)
    except ValueError as exc:
        raise InvalidInputError(f"must be a number, got {text!r}", field=path) from exc
    if not math.isfinite(value):
        raise InvalidInputError(f"must be a finite number, got {text!r}", field=path)
    return value


def _numbers(element: Element, path: str) -> list[float]:
    texts = "".join(element.itertext()).split()
    if not texts:
        raise InvalidInputError("the list holds no values", field=path)
    values = []
    for n, text in enumerate(texts, 1):
        try:
            value = float(text)
        except ValueError as exc:
            raise InvalidInputError(
                f"entry {n} must be a number, got {text!r}", field=path
            ) from exc
        if not math.isfinite(value):
            raise InvalidInputError(f"entry {n} must be a finite number, got {text!r}", field=path)
        values.append(value)
    return values


def _broadcast(entries: list[_T], count: int, path: str, what: str = "entries") -> list[_T]:
    """A list of one entry per value, or one entry for all values (D-SI XML lists)."""
    if len(entries) == count:
        return entries
    if len(entries) == 1:
        return entries * count
    raise InvalidInputError(
        f"{len(entries)} {what} for {count} values: give one for all or one per value",
        field=path,
    )


def _checked(values: list[float], factors: list[float], u_path: str, k_path: str) -> _Uncertainty:
    for n, value in enumerate(values, 1):
        if value < 0:
            raise InvalidInputError(
                f"the expanded uncertainty must be >= 0, got {value:g}"
                + (f" (entry {n})" if len(values) > 1 else ""),
                field=u_path,
            )
    for n, factor in enumerate(factors, 1):
        if not factor > 0:
            raise InvalidInputError(
                f"the coverage factor must be > 0, got {factor:g}"
                + (f" (entry {n})" if len(factors) > 1 else ""),
                field=k_path,
            )
    return _Uncertainty(values, factors)


def _coverage_factor(node: Element, name: str, k_path: str) -> Element:
    """The coverage factor element of an expanded uncertainty; refused when absent."""
    found = node.find(_qname(name))
    if found is None or not "".join(found.itertext()).strip():
        raise InvalidInputError(
            "an expanded uncertainty without its coverage factor cannot be converted to a "
            "standard uncertainty (JCGM 100:2008 6.3.1)",
            field=k_path,
        )
    return found


def _single_uncertainty(real: Element, where: str) -> _Uncertainty | None:
    """U and k of an ``si:real`` (None: it states no uncertainty)."""
    expanded = real.find(_qname("si:expandedUnc"))
    if expanded is not None:
        base = f"{where}/si:expandedUnc"
        value_name, factor_name = "si:uncertainty", "si:coverageFactor"
        node = expanded
    else:
        mu = real.find(_qname("si:measurementUncertaintyUnivariate"))
        if mu is None:
            if real.find(_qname("si:coverageInterval")) is not None:
                raise InvalidInputError(
                    "a coverage interval is not read; state si:expandedUnc (U and k)",
                    field=f"{where}/si:coverageInterval",
                )
            return None
        base = f"{where}/si:measurementUncertaintyUnivariate"
        standard = mu.find(_qname("si:standardMU"))
        node_or_none = mu.find(_qname("si:expandedMU"))
        if node_or_none is None and standard is not None:
            u_path = f"{base}/si:standardMU/si:valueStandardMU"
            u = _number(_one(standard, "si:valueStandardMU", f"{base}/si:standardMU"), u_path)
            return _checked([u], [1.0], u_path, u_path)
        if node_or_none is None:
            raise InvalidInputError(
                "neither si:expandedMU nor si:standardMU is given", field=f"{base}/si:expandedMU"
            )
        node = node_or_none
        base = f"{base}/si:expandedMU"
        value_name, factor_name = "si:valueExpandedMU", "si:coverageFactor"
    u_path, k_path = f"{base}/{value_name}", f"{base}/{factor_name}"
    value = _number(_one(node, value_name, base), u_path)
    factor = _number(_coverage_factor(node, factor_name, k_path), k_path)
    return _checked([value], [factor], u_path, k_path)


def _list_uncertainty(listed: Element, where: str, count: int) -> _Uncertainty | None:
    """U and k per value of an ``si:realListXMLList`` (None: no uncertainty)."""
    expanded = listed.find(_qname("si:expandedUncXMLList"))
    if expanded is not None:
        base = f"{where}/si:expandedUncXMLList"
        node, value_name = expanded, "si:uncertaintyXMLList"
    else:
        mu = listed.find(_qname("si:measurementUncertaintyUnivariateXMLList"))
        if mu is None:
            return None
        outer = f"{where}/si:measurementUncertaintyUnivariateXMLList"
        standard = mu.find(_qname("si:standardMUXMLList"))
        found = mu.find(_qname("si:expandedMUXMLList"))
        if found is None and standard is not None:
            u_path = f"{outer}/si:standardMUXMLList/si:valueStandardMUXMLList"
            element = _one(standard, "si:valueStandardMUXMLList", f"{outer}/si:standardMUXMLList")
            values = _broadcast(_numbers(element, u_path), count, u_path)
            return _checked(values, [1.0] * count, u_path, u_path)
        if found is None:
            raise InvalidInputError(
                "neither si:expandedMUXMLList nor si:standardMUXMLList is given",
                field=f"{outer}/si:expandedMUXMLList",
            )
        base, node, value_name = f"{outer}/si:expandedMUXMLList", found, "si:valueExpandedMUXMLList"
    u_path, k_path = f"{base}/{value_name}", f"{base}/si:coverageFactorXMLList"
    values = _broadcast(_numbers(_one(node, value_name, base), u_path), count, u_path)
    factor_element = _coverage_factor(node, "si:coverageFactorXMLList", k_path)
    factors = _broadcast(_numbers(factor_element, k_path), count, k_path)
    return _checked(values, factors, u_path, k_path)


# --------------------------------------------------------------------- D-SI units

#: D-SI prefixes (BIPM SI Brochure 9th ed. Table 7) -> pint prefix symbols.
_PREFIXES: dict[str, str] = {
    "yotta": "Y",
    "zetta": "Z",
    "exa": "E",
    "peta": "P",
    "tera": "T",
    "giga": "G",
    "mega": "M",
    "kilo": "k",
    "hecto": "h",
    "deca": "da",
    "deka": "da",
    "deci": "d",
    "centi": "c",
    "milli": "m",
    "micro": "u",
    "nano": "n",
    "pico": "p",
    "femto": "f",
    "atto": "a",
    "zepto": "z",
    "yocto": "y",
}

#: D-SI unit names (SI base and derived units, units accepted for use with the SI, and
#: the D-SI relative units) -> (pint symbol of the one registry, whether it takes a
#: prefix).
_UNITS: dict[str, tuple[str, bool]] = {
    "metre": ("m", True),
    "kilogram": ("kg", False),
    "gram": ("g", True),
    "second": ("s", True),
    "ampere": ("A", True),
    "kelvin": ("K", True),
    "mole": ("mol", True),
    "candela": ("cd", True),
    "radian": ("rad", True),
    "steradian": ("sr", True),
    "hertz": ("Hz", True),
    "newton": ("N", True),
    "pascal": ("Pa", True),
    "joule": ("J", True),
    "watt": ("W", True),
    "coulomb": ("C", True),
    "volt": ("V", True),
    "farad": ("F", True),
    "ohm": ("ohm", True),
    "siemens": ("S", True),
    "weber": ("Wb", True),
    "tesla": ("T", True),
    "henry": ("H", True),
    "degreecelsius": ("degC", False),
    "lumen": ("lm", True),
    "lux": ("lx", True),
    "becquerel": ("Bq", True),
    "sievert": ("Sv", True),
    "gray": ("Gy", True),
    "katal": ("kat", True),
    "minute": ("min", False),
    "hour": ("h", False),
    "day": ("d", False),
    "degree": ("deg", False),
    "arcminute": ("arcmin", False),
    "arcsecond": ("arcsec", False),
    "hectare": ("hectare", False),
    "litre": ("L", True),
    "tonne": ("t", True),
    "electronvolt": ("eV", True),
    "dalton": ("Da", True),
    "astronomicalunit": ("au", False),
    "bar": ("bar", True),
    "angstrom": ("angstrom", False),
    "one": ("", False),
    "percent": ("percent", False),
    "ppm": ("ppm", False),
}

_TOKEN = re.compile(r"\\([A-Za-z]+)(?:\{([^{}]*)\})?")


def dsi_to_pint(text: str, *, field: str = "si:unit") -> str:
    """Convert a D-SI unit string to a pint unit string of the one registry.

    ``\\milli\\volt`` -> ``mV``; ``\\metre\\per\\second\\tothe{2}`` -> ``m/s**2``
    (``\\per`` inverts the unit that follows, as in the D-SI and siunitx syntax);
    ``\\degreecelsius`` -> ``degC``; ``\\one`` -> ``""`` (dimensionless).

    Raises
    ------
    InvalidInputError
        With ``field`` for anything that is not D-SI syntax or not a known unit
        (non-SI ``|`` units included), a prefix on a unit that takes none, or a unit
        pint does not parse.

    >>> dsi_to_pint("\\\\milli\\\\volt")
    'mV'
    >>> dsi_to_pint("\\\\kilogram\\\\metre\\\\tothe{-3}")
    'kg/m**3'
    >>> dsi_to_pint("\\\\degreeCelsius")
    'degC'
    """
    source = text.strip()
    factors: list[tuple[str, float]] = []
    position = 0
    prefix: str | None = None
    invert = False
    while position < len(source):
        match = _TOKEN.match(source, position)
        if match is None:
            raise InvalidInputError(
                f"D-SI unit {text!r} is not understood at {source[position:]!r} "
                "(expected \\prefix\\unit, \\per, \\tothe{n})",
                field=field,
            )
        word, argument = match.group(1).lower(), match.group(2)
        position = match.end()
        if word == "tothe":
            if not factors or argument is None or prefix is not None:
                raise InvalidInputError(
                    f"D-SI unit {text!r}: \\tothe{{n}} must follow a unit", field=field
                )
            try:
                power = float(argument)
            except ValueError as exc:
                raise InvalidInputError(
                    f"D-SI unit {text!r}: exponent {argument!r} is not a number", field=field
                ) from exc
            if not math.isfinite(power) or power == 0:
                raise InvalidInputError(
                    f"D-SI unit {text!r}: exponent {argument!r} is not allowed", field=field
                )
            symbol, exponent = factors[-1]
            factors[-1] = (symbol, exponent * power)
        elif word == "per":
            if invert or prefix is not None:
                raise InvalidInputError(f"D-SI unit {text!r}: misplaced \\per", field=field)
            invert = True
        elif word in _PREFIXES:
            if prefix is not None:
                raise InvalidInputError(f"D-SI unit {text!r}: two prefixes in a row", field=field)
            prefix = word
        elif word in _UNITS:
            symbol, takes_prefix = _UNITS[word]
            if prefix is not None and not takes_prefix:
                raise InvalidInputError(
                    f"D-SI unit {text!r}: \\{word} takes no prefix (\\{prefix})", field=field
                )
            if prefix is not None:
                symbol = _prefixed(prefix, word, symbol)
            factors.append((symbol, -1.0 if invert else 1.0))
            prefix, invert = None, False
        else:
            raise InvalidInputError(
                f"D-SI unit {text!r}: unknown unit or prefix \\{match.group(1)}", field=field
            )
    if prefix is not None or invert or not factors:
        raise InvalidInputError(
            f"D-SI unit {text!r} is incomplete (a prefix or \\per without a unit)", field=field
        )
    result = _compose(factors)
    parse_unit(result, field=field)  # the one registry must know it
    return result


def _prefixed(prefix: str, word: str, symbol: str) -> str:
    """Prefix symbol + unit symbol (``mV``), unless that reads as another unit: then
    the spelled-out name (``centiday`` would otherwise be ``cd``, the candela)."""
    short, spelled = f"{_PREFIXES[prefix]}{symbol}", f"{prefix}{word}"
    try:
        want = unit_info(spelled)
    except InvalidInputError:
        return short
    try:
        got = unit_info(short)
    except InvalidInputError:
        return spelled
    same = got.dimensionality == want.dimensionality and math.isclose(
        got.scale, want.scale, rel_tol=1e-12
    )
    return short if same and got.offset == want.offset else spelled


def _power(symbol: str, exponent: float) -> str:
    magnitude = abs(exponent)
    if magnitude == 1:
        return symbol
    shown = f"{magnitude:g}"
    return f"{symbol}**{shown}"


def _compose(factors: list[tuple[str, float]]) -> str:
    numerator = [_power(s, e) for s, e in factors if e > 0 and s]
    denominator = [_power(s, e) for s, e in factors if e < 0 and s]
    text = "*".join(numerator) or ("1" if denominator else "")
    for part in denominator:
        text += f"/{part}"
    return text
