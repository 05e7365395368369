"""The register as plain in-memory objects: bodies, issuers, instruments, certificates, events.

These frozen dataclasses are what every engine function takes. The JSON document of
CONTRACTS section 4 (``traceability.schema``) and, later, the database service both build
them; :class:`Register` validates the cross references and builds the indexes the chain
walk and the impact query need (certificates per instrument by date, dependants,
amendments, events per instrument).

References
----------
ISO/IEC 17025:2017 6.4.13 (equipment records), 6.5 (metrological traceability),
7.8.4 (calibration certificates).
"""

from __future__ import annotations

import bisect
import functools
import math
import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from traceability.quantities import normalise_quantity_name, unit_info, unit_matches_quantity
from uncertainty.errors import InvalidInputError

__all__ = [
    "EVENT_KINDS",
    "INSTRUMENT_ROLES",
    "INSTRUMENT_STATUSES",
    "ISSUER_KINDS",
    "OUT_OF_SERVICE_EVENTS",
    "Accreditation",
    "AccreditationBody",
    "Certificate",
    "CmcLine",
    "Event",
    "Instrument",
    "Issuer",
    "Point",
    "Reference",
    "Register",
    "make_certificate",
    "make_reference",
    "months_between",
]

ISSUER_KINDS = ("nmi", "accredited_lab", "crm_producer", "primary", "other")
INSTRUMENT_ROLES = ("reference", "working", "check_standard")
INSTRUMENT_STATUSES = ("in_service", "quarantined", "retired")
EVENT_KINDS = (
    "out_of_tolerance",
    "intermediate_check_passed",
    "intermediate_check_failed",
    "quarantine",
    "returned_to_service",
    "repair",
)
#: Events after which the instrument may not be used until it is returned to service or
#: recalibrated (ISO/IEC 17025:2017 6.4.9).
OUT_OF_SERVICE_EVENTS = frozenset({"out_of_tolerance", "intermediate_check_failed", "quarantine"})

_DAYS_PER_MONTH = 365.25 / 12.0


def months_between(start: date, end: date) -> float:
    """Calendar months from ``start`` to ``end``; the odd days count as days / 30.4375.

    >>> months_between(date(2023, 1, 10), date(2025, 1, 10))
    24.0
    >>> round(months_between(date(2024, 1, 31), date(2024, 3, 1)), 3)
    1.014
    """
    whole = (end.year - start.year) * 12 + (end.month - start.month)
    return whole + (end.day - start.day) / _DAYS_PER_MONTH


def _finite(value: float, name: str) -> None:
    if not math.isfinite(value):
        raise InvalidInputError(f"{name} must be a finite number, got {value!r}", field=name)


def _check_unit(quantity: str, unit: str) -> None:
    problem = _unit_problem(quantity, unit)
    if problem is not None:
        raise InvalidInputError(problem, field="unit")


@functools.lru_cache(maxsize=4096)
def _unit_problem(quantity: str, unit: str) -> str | None:
    """Why ``unit`` does not fit ``quantity`` (``None``: it fits); cached per pair."""
    try:
        unit_info(unit)
    except InvalidInputError as exc:
        return str(exc.args[0])
    if unit_matches_quantity(quantity, unit) is False:
        return f"unit {unit!r} does not have the dimension of quantity {quantity!r}"
    return None


@dataclass(frozen=True, slots=True)
class AccreditationBody:
    """An accreditation body; ``ilac_mra``: signatory of the ILAC MRA for calibration."""

    id: str
    ilac_mra: bool
    name: str = ""


@dataclass(frozen=True, slots=True)
class Accreditation:
    """An accreditation certificate with its validity period (both ends inclusive)."""

    number: str
    valid_from: date
    valid_until: date | None = None

    def valid_on(self, day: date) -> bool:
        """Whether the accreditation is valid on ``day``."""
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


@dataclass(frozen=True, slots=True)
class CmcLine:
    """One CMC / scope line: quantity, range [min, max] in ``unit``, U with its k.

    ``u_si`` is the standard uncertainty U/k in SI base units; ``min_si``/``max_si`` the
    range in SI base units (ILAC P14:09/2020: CMC expressed as expanded uncertainty
    with k for about 95 %).
    """

    quantity: str
    min: float
    max: float
    unit: str
    expanded_uncertainty: float
    coverage_factor: float = 2.0
    quantity_key: str = field(init=False)
    min_si: float = field(init=False)
    max_si: float = field(init=False)
    u_si: float = field(init=False)
    low_bound: float = field(init=False)
    high_bound: float = field(init=False)

    def __post_init__(self) -> None:
        for name in ("min", "max", "expanded_uncertainty", "coverage_factor"):
            _finite(getattr(self, name), name)
        _check_unit(self.quantity, self.unit)
        if self.min > self.max:
            raise InvalidInputError(f"min {self.min} is above max {self.max}", field="min")
        if self.expanded_uncertainty < 0:
            raise InvalidInputError(
                f"expanded_uncertainty must be >= 0, got {self.expanded_uncertainty}",
                field="expanded_uncertainty",
            )
        if self.coverage_factor <= 0:
            raise InvalidInputError(
                f"coverage_factor must be > 0, got {self.coverage_factor}", field="coverage_factor"
            )
        info = unit_info(self.unit)
        object.__setattr__(self, "quantity_key", normalise_quantity_name(self.quantity))
        object.__setattr__(self, "min_si", info.offset + info.scale * self.min)
        object.__setattr__(self, "max_si", info.offset + info.scale * self.max)
        object.__setattr__(
            self, "u_si", info.scale * self.expanded_uncertainty / self.coverage_factor
        )
        # Range bounds with a relative slack of 1e-9 for rounding in unit conversion.
        slack = 1e-9 * max(abs(self.min_si), abs(self.max_si), 1e-300)
        object.__setattr__(self, "low_bound", self.min_si - slack)
        object.__setattr__(self, "high_bound", self.max_si + slack)


@dataclass(frozen=True, slots=True)
class Issuer:
    """Who issued a certificate.

    ``kind`` is one of :data:`ISSUER_KINDS`. ``traceability_evidence`` is the id of an
    evidence record (ILAC P10:07/2020 section 2, route for bodies outside the ILAC
    Arrangement) that lifts the conditional ``ISSUER_NOT_ILAC_MRA`` finding.
    """

    id: str
    kind: str
    accreditation_body: str | None = None
    accreditation: Accreditation | None = None
    cmcs: tuple[CmcLine, ...] = ()
    traceability_evidence: str | None = None
    name: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ISSUER_KINDS:
            raise InvalidInputError(
                f"kind must be one of {', '.join(ISSUER_KINDS)}, got {self.kind!r}", field="kind"
            )


@dataclass(frozen=True, slots=True)
class Instrument:
    """An asset of the register (ISO/IEC 17025:2017 6.4.13)."""

    id: str
    description: str = ""
    role: str = "working"
    status: str = "in_service"
    manufacturer: str = ""
    model: str = ""
    serial: str = ""
    site: str = ""
    calibration_interval_months: float | None = None

    def __post_init__(self) -> None:
        if self.role not in INSTRUMENT_ROLES:
            raise InvalidInputError(
                f"role must be one of {', '.join(INSTRUMENT_ROLES)}, got {self.role!r}",
                field="role",
            )
        if self.status not in INSTRUMENT_STATUSES:
            raise InvalidInputError(
                f"status must be one of {', '.join(INSTRUMENT_STATUSES)}, got {self.status!r}",
                field="status",
            )
        if self.calibration_interval_months is not None and not (
            self.calibration_interval_months > 0
        ):
            raise InvalidInputError(
                f"calibration_interval_months must be > 0, got {self.calibration_interval_months}",
                field="calibration_interval_months",
            )


@dataclass(frozen=True, slots=True)
class Point:
    """A calibration point: value ± U (coverage factor k), optional tolerance and errors.

    ``tolerance`` is the ± half-width of the acceptance interval; ``as_found_error`` and
    ``as_left_error`` are errors before and after adjustment; all in ``unit``.
    Derived: ``value_si``, ``u_si`` = U/k (JCGM 100:2008 6.2.1), ``scale`` (unit to SI).
    """

    quantity: str
    value: float
    unit: str
    expanded_uncertainty: float
    coverage_factor: float = 2.0
    tolerance: float | None = None
    as_found_error: float | None = None
    as_left_error: float | None = None
    quantity_key: str = field(init=False)
    value_si: float = field(init=False)
    u_si: float = field(init=False)
    scale: float = field(init=False)

    def __post_init__(self) -> None:
        if not (
            math.isfinite(self.value)
            and math.isfinite(self.expanded_uncertainty)
            and math.isfinite(self.coverage_factor)
        ):
            for name in ("value", "expanded_uncertainty", "coverage_factor"):
                _finite(getattr(self, name), name)
        _check_unit(self.quantity, self.unit)
        if self.expanded_uncertainty < 0:
            raise InvalidInputError(
                f"expanded_uncertainty must be >= 0, got {self.expanded_uncertainty}",
                field="expanded_uncertainty",
            )
        if self.coverage_factor <= 0:
            raise InvalidInputError(
                f"coverage_factor must be > 0, got {self.coverage_factor}", field="coverage_factor"
            )
        if self.tolerance is not None:
            _finite(self.tolerance, "tolerance")
            if self.tolerance < 0:
                raise InvalidInputError(
                    f"tolerance is a ± half-width and must be >= 0, got {self.tolerance}",
                    field="tolerance",
                )
        for name in ("as_found_error", "as_left_error"):
            value = getattr(self, name)
            if value is not None:
                _finite(value, name)
        info = unit_info(self.unit)
        object.__setattr__(self, "quantity_key", normalise_quantity_name(self.quantity))
        object.__setattr__(self, "value_si", info.offset + info.scale * self.value)
        object.__setattr__(
            self, "u_si", info.scale * self.expanded_uncertainty / self.coverage_factor
        )
        object.__setattr__(self, "scale", info.scale)

    def describe(self) -> str:
        """Short label, e.g. ``DC voltage 10 V``."""
        return f"{self.quantity} {self.value:g} {self.unit}"


@dataclass(frozen=True, slots=True)
class Reference:
    """A reference standard's certificate used for a calibration.

    ``quantity``: the reference serves only this certificate's points of that quantity
    (point-level link); ``None``: it serves every point.
    """

    certificate: str
    quantity: str | None = None

    def serves(self, quantity_key: str) -> bool:
        """Whether this reference serves points whose quantity key is ``quantity_key``."""
        return self.quantity is None or normalise_quantity_name(self.quantity) == quantity_key


@dataclass(frozen=True, slots=True)
class Certificate:
    """A calibration certificate (ISO/IEC 17025:2017 7.8.4).

    ``issued_on`` defaults to ``calibrated_on``; ``supersedes`` names the certificate this
    one amends or replaces.
    """

    id: str
    instrument: str
    issuer: str
    calibrated_on: date
    due: date | None = None
    references: tuple[Reference, ...] = ()
    points: tuple[Point, ...] = ()
    supersedes: str | None = None
    issued_on: date | None = None

    def __post_init__(self) -> None:
        if self.due is not None and self.due < self.calibrated_on:
            raise InvalidInputError(
                f"due {self.due} is before calibrated_on {self.calibrated_on}", field="due"
            )
        if self.issued_on is not None and self.issued_on < self.calibrated_on:
            raise InvalidInputError(
                f"issued_on {self.issued_on} is before calibrated_on {self.calibrated_on}",
                field="issued_on",
            )

    @property
    def issued(self) -> date:
        """The issue date (``issued_on`` or, when absent, ``calibrated_on``)."""
        return self.issued_on or self.calibrated_on

    def valid_on(self, day: date) -> bool:
        """Whether the calibration is current on ``day`` (issued, not past due)."""
        return self.calibrated_on <= day and (self.due is None or day <= self.due)


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened to an instrument on a date (kinds: :data:`EVENT_KINDS`).

    ``quantity``/``value``/``unit``/``error`` say what was found (parameter-specific
    impact, ISO/IEC 17025:2017 6.4.9); ``range_min``/``range_max`` (in ``unit``) bound the
    range of the function found out of tolerance, when known.
    """

    instrument: str
    kind: str
    on: date
    quantity: str | None = None
    value: float | None = None
    unit: str | None = None
    error: float | None = None
    range_min: float | None = None
    range_max: float | None = None
    id: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise InvalidInputError(
                f"kind must be one of {', '.join(EVENT_KINDS)}, got {self.kind!r}", field="kind"
            )
        if self.unit is not None:
            _check_unit(self.quantity or "", self.unit)
        elif self.value is not None or self.range_min is not None or self.range_max is not None:
            raise InvalidInputError("a value or range needs a unit", field="unit")


_new = object.__new__
# The slot descriptors of the two records a bulk load builds by the hundred thousand.
_CERTIFICATE_SLOTS = tuple(
    vars(Certificate)[name].__set__
    for name in (
        "id",
        "instrument",
        "issuer",
        "calibrated_on",
        "due",
        "references",
        "points",
        "supersedes",
        "issued_on",
    )
)
_REFERENCE_SLOTS = (vars(Reference)["certificate"].__set__, vars(Reference)["quantity"].__set__)


def make_certificate(
    id: str,
    instrument: str,
    issuer: str,
    calibrated_on: date,
    due: date | None,
    references: tuple[Reference, ...],
    points: tuple[Point, ...],
    supersedes: str | None,
    issued_on: date | None,
) -> Certificate:
    """``Certificate(...)`` with every field given, for bulk loads: the same object and the
    same checks (``__post_init__``) at about half the cost.

    A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``;
    here the slots are set through their descriptors directly.
    """
    cert: Certificate = _new(Certificate)
    s0, s1, s2, s3, s4, s5, s6, s7, s8 = _CERTIFICATE_SLOTS
    s0(cert, id)
    s1(cert, instrument)
    s2(cert, issuer)
    s3(cert, calibrated_on)
    s4(cert, due)
    s5(cert, references)
    s6(cert, points)
    s7(cert, supersedes)
    s8(cert, issued_on)
    cert.__post_init__()
    return cert


def make_reference(certificate: str, quantity: str | None) -> Reference:
    """``Reference(certificate, quantity)`` for bulk loads (see :func:`make_certificate`)."""
    ref: Reference = _new(Reference)
    _REFERENCE_SLOTS[0](ref, certificate)
    _REFERENCE_SLOTS[1](ref, quantity)
    return ref


def _dupes(ids: Iterable[str], what: str) -> None:
    seen: set[str] = set()
    for i, ident in enumerate(ids):
        if ident in seen:
            raise InvalidInputError(f"duplicate id {ident!r}", field=f"{what}[{i}].id")
        seen.add(ident)


class Register:
    """A validated register with the indexes the engines use.

    Raises ``InvalidInputError`` naming the record and field for duplicate ids and
    unknown references (issuer, instrument, accreditation body, reference or
    superseded certificate, event instrument).
    """

    def __init__(
        self,
        *,
        accreditation_bodies: Iterable[AccreditationBody] = (),
        issuers: Iterable[Issuer] = (),
        instruments: Iterable[Instrument] = (),
        certificates: Iterable[Certificate] = (),
        events: Iterable[Event] = (),
        tur_minimum: float = 4.0,
    ) -> None:
        bodies, issuer_list = list(accreditation_bodies), list(issuers)
        instrument_list, cert_list = list(instruments), list(certificates)
        self._validate_ids(bodies, issuer_list, instrument_list, cert_list)
        if not (math.isfinite(tur_minimum) and tur_minimum > 0):
            raise InvalidInputError(f"must be > 0, got {tur_minimum}", field="tur_minimum")
        self.tur_minimum = float(tur_minimum)
        self.accreditation_bodies: Mapping[str, AccreditationBody] = {b.id: b for b in bodies}
        self.issuers: Mapping[str, Issuer] = {i.id: i for i in issuer_list}
        self.instruments: Mapping[str, Instrument] = {i.id: i for i in instrument_list}
        self.certificates: Mapping[str, Certificate] = {c.id: c for c in cert_list}
        self.events: tuple[Event, ...] = tuple(events)
        self._validate_links()
        self._index()

    def _validate_ids(
        self,
        bodies: list[AccreditationBody],
        issuers: list[Issuer],
        instruments: list[Instrument],
        certificates: list[Certificate],
    ) -> None:
        _dupes((b.id for b in bodies), "accreditation_bodies")
        _dupes((i.id for i in issuers), "issuers")
        _dupes((i.id for i in instruments), "instruments")
        _dupes((c.id for c in certificates), "certificates")

    def _validate_links(self) -> None:
        for issuer in self.issuers.values():
            body = issuer.accreditation_body
            if body is not None and body not in self.accreditation_bodies:
                raise InvalidInputError(
                    f"unknown accreditation body {body!r}",
                    field=f"issuers[{issuer.id}].accreditation_body",
                )
        for cert in self.certificates.values():
            where = f"certificates[{cert.id}]"
            if cert.instrument not in self.instruments:
                raise InvalidInputError(
                    f"unknown instrument {cert.instrument!r}", field=f"{where}.instrument"
                )
            if cert.issuer not in self.issuers:
                raise InvalidInputError(f"unknown issuer {cert.issuer!r}", field=f"{where}.issuer")
            if cert.supersedes is not None and cert.supersedes not in self.certificates:
                raise InvalidInputError(
                    f"unknown certificate {cert.supersedes!r}", field=f"{where}.supersedes"
                )
            for j, ref in enumerate(cert.references):
                if ref.certificate not in self.certificates:
                    raise InvalidInputError(
                        f"unknown reference certificate {ref.certificate!r}",
                        field=f"{where}.references[{j}]",
                    )
        for k, event in enumerate(self.events):
            if event.instrument not in self.instruments:
                raise InvalidInputError(
                    f"unknown instrument {event.instrument!r}", field=f"events[{k}].instrument"
                )

    def _index(self) -> None:
        by_instrument: dict[str, list[Certificate]] = {}
        amended_by: dict[str, list[Certificate]] = {}
        for cert in self.certificates.values():
            # get-then-append: setdefault would build a list for every certificate.
            mine = by_instrument.get(cert.instrument)
            if mine is None:
                by_instrument[cert.instrument] = [cert]
            else:
                mine.append(cert)
            if cert.supersedes is not None:
                amended_by.setdefault(cert.supersedes, []).append(cert)
        by_date = operator.attrgetter("calibrated_on", "id")
        for certs in by_instrument.values():
            certs.sort(key=by_date)
        events: dict[str, list[Event]] = {}
        for event in sorted(self.events, key=lambda e: e.on):
            events.setdefault(event.instrument, []).append(event)
        self.certificates_by_instrument: Mapping[str, list[Certificate]] = by_instrument
        self._calibration_dates = {
            key: [c.calibrated_on for c in certs] for key, certs in by_instrument.items()
        }
        self.superseded_by: Mapping[str, list[Certificate]] = amended_by
        self.events_by_instrument: Mapping[str, list[Event]] = events

    @functools.cached_property
    def dependants(self) -> Mapping[str, list[str]]:
        """The ids of the certificates that use each certificate as a reference, in
        register order (built on first use: only the impact query needs it, and a
        bulk check of 500,000 certificates need not pay for it).
        """
        dependants: dict[str, list[str]] = {}
        for cert in self.certificates.values():
            for ref in cert.references:
                # get-then-append: setdefault would build a list for every certificate.
                users = dependants.get(ref.certificate)
                if users is None:
                    dependants[ref.certificate] = [cert.id]
                else:
                    users.append(cert.id)
        return dependants

    def out_of_service_event(self, instrument: str, day: date) -> Event | None:
        """The event that had ``instrument`` out of service on ``day``, if any.

        An out-of-tolerance, failed intermediate check or quarantine event on or before
        ``day`` takes the instrument out of service until a ``returned_to_service`` event
        or a new calibration on or after the event date (ISO/IEC 17025:2017 6.4.9).
        """
        latest: Event | None = None
        for event in self.events_by_instrument.get(instrument, ()):
            if event.on > day:
                break
            if event.kind in OUT_OF_SERVICE_EVENTS:
                latest = event
            elif event.kind == "returned_to_service":
                latest = None
        if latest is None:
            return None
        dates = self._calibration_dates.get(instrument, [])
        first = bisect.bisect_left(dates, latest.on)
        if first < len(dates) and dates[first] <= day:
            return None
        return latest

    def latest_certificate(self, instrument: str, day: date) -> Certificate | None:
        """The instrument's most recent certificate calibrated on or before ``day``."""
        certs = self.certificates_by_instrument.get(instrument, [])
        dates = self._calibration_dates.get(instrument, [])
        index = bisect.bisect_right(dates, day)
        return certs[index - 1] if index else None
