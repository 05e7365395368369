"""Out-of-tolerance impact: which downstream certificates rest on a nonconforming standard.

When a standard is found out of tolerance (or fails an intermediate check) on a date,
every calibration that used it since it was last known good is suspect, and so is every
calibration that used one of those, recursively. Classification is per point and per
parameter: a point is impacted when it was served by the suspect reference, has the same
quantity as the one found out of tolerance and lies in the range found out (when the
range is known). A calibrator found out at 10 V DC does not impact work done only on its
AC function (PITFALLS "Traceability").

References
----------
ISO/IEC 17025:2017 6.4.9 (effect of a defect on previous results), 7.10 (nonconforming
work), 6.4.10 (intermediate checks).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import date

from traceability.quantities import normalise_quantity_name, unit_info
from traceability.register import Certificate, Event, Point, Register
from uncertainty.errors import InvalidInputError, NotFoundError

__all__ = ["IMPACT_WINDOWS", "AffectedCertificate", "ImpactResult", "impact_analysis"]

IMPACT_WINDOWS = ("last_calibration", "last_passing_check")
_FAILURE_EVENTS = ("out_of_tolerance", "intermediate_check_failed")


@dataclass(frozen=True, slots=True)
class AffectedCertificate:
    """A downstream certificate and whether it is impacted, with the reason."""

    certificate: str
    instrument: str
    calibrated_on: date
    depth: int
    impacted: bool
    reason: str
    via: str
    impacted_points: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ImpactResult:
    """The impact window and every affected certificate (depth 1 = used the instrument)."""

    instrument: str
    found_on: date
    window: tuple[date | None, date]
    since: str
    quantity: str | None
    event: Event | None
    affected: tuple[AffectedCertificate, ...]

    @property
    def impacted(self) -> tuple[AffectedCertificate, ...]:
        """Only the impacted certificates."""
        return tuple(a for a in self.affected if a.impacted)


@dataclass(frozen=True, slots=True)
class _Scope:
    quantity_key: str | None
    low_si: float | None
    high_si: float | None

    def covers(self, point: Point) -> str | None:
        """``None`` when ``point`` is in scope, else the reason it is not."""
        if self.quantity_key is not None and point.quantity_key != self.quantity_key:
            return f"{point.describe()}: other parameter"
        if self.low_si is not None and self.high_si is not None:
            value = point.value_si
            inside = self.low_si <= value <= self.high_si or (
                self.low_si >= 0 and self.low_si <= -value <= self.high_si
            )
            if not inside:
                return f"{point.describe()}: outside the range found out of tolerance"
        return None


def _failure_event(register: Register, instrument: str, found_on: date) -> Event | None:
    for event in reversed(register.events_by_instrument.get(instrument, [])):
        if event.on == found_on and event.kind in _FAILURE_EVENTS:
            return event
    return None


def _window_start(register: Register, instrument: str, found_on: date, since: str) -> date | None:
    """Last calibration before ``found_on`` (or later passing check); ``None``: none known."""
    certs = register.certificates_by_instrument.get(instrument, [])
    before = [c for c in certs if c.calibrated_on < found_on]
    start = before[-1].calibrated_on if before else None
    if since == "last_passing_check":
        for event in register.events_by_instrument.get(instrument, []):
            if (
                event.kind == "intermediate_check_passed"
                and (start is None or start <= event.on)
                and event.on < found_on
            ):
                start = event.on
    return start


def _classify(
    cert: Certificate, suspects: dict[str, frozenset[str] | None], scope: _Scope
) -> tuple[tuple[str, ...], str, str]:
    """Impacted points of ``cert``, the reason and the suspect reference it used."""
    impacted: list[str] = []
    notes: list[str] = []
    via = ""
    for point in cert.points:
        served = [
            ref.certificate
            for ref in cert.references
            if ref.certificate in suspects and ref.serves(point.quantity_key)
        ]
        if not served:
            notes.append(f"{point.describe()}: suspect reference not used for this point")
            continue
        via = via or served[0]
        keys = suspects[served[0]]
        if keys is not None and point.quantity_key not in keys:
            notes.append(f"{point.describe()}: other parameter than the impacted one")
            continue
        reason = scope.covers(point) if keys is None else None
        if reason is not None:
            notes.append(reason)
            continue
        impacted.append(point.describe())
    if not via:
        via = next(ref.certificate for ref in cert.references if ref.certificate in suspects)
    if impacted:
        reason = f"used {via} for {', '.join(impacted)}"
    elif not cert.points:
        reason = f"used {via}; no points recorded, treated as impacted"
        impacted.append("(all)")
    else:
        reason = "; ".join(notes) or "no point in scope"
    return tuple(impacted), reason, via


def impact_analysis(
    register: Register,
    instrument: str,
    found_on: date,
    *,
    since: str = "last_calibration",
    quantity: str | None = None,
    range_min: float | None = None,
    range_max: float | None = None,
    unit: str | None = None,
    max_depth: int | None = None,
) -> ImpactResult:
    """Every certificate resting on ``instrument`` between its last good state and ``found_on``.

    Parameters
    ----------
    register, instrument, found_on:
        The register, the instrument found out of tolerance and the date it was found.
    since:
        ``"last_calibration"`` (window opens at its last calibration before ``found_on``)
        or ``"last_passing_check"`` (at its last passing intermediate check, if later).
    quantity, range_min, range_max, unit:
        The parameter found out of tolerance. Default: taken from the instrument's
        ``out_of_tolerance`` / ``intermediate_check_failed`` event on ``found_on``; when
        there is none, every parameter counts as impacted (conservative).
    max_depth:
        Stop after this many levels (``None``: follow the chain to its end).

    Depth 1: certificates whose references include a certificate of ``instrument`` and
    that were calibrated inside the window. Depth n + 1: certificates that used an
    impacted depth-n certificate, classified on the parameters impacted at depth n.

    References
    ----------
    ISO/IEC 17025:2017 6.4.9, 7.10.1, 6.4.10.
    """
    if instrument not in register.instruments:
        raise NotFoundError(f"instrument {instrument!r} is not in the register")
    if since not in IMPACT_WINDOWS:
        raise InvalidInputError(
            f"must be one of {', '.join(IMPACT_WINDOWS)}, got {since!r}", field="since"
        )
    if max_depth is not None and max_depth < 1:
        raise InvalidInputError(f"must be >= 1, got {max_depth}", field="max_depth")
    event = _failure_event(register, instrument, found_on)
    if quantity is None and event is not None:
        quantity, unit = event.quantity, event.unit
        range_min, range_max = event.range_min, event.range_max
    low = high = None
    if range_min is not None and range_max is not None:
        if unit is None:
            raise InvalidInputError("a range needs its unit", field="unit")
        info = unit_info(unit)
        low, high = info.offset + info.scale * range_min, info.offset + info.scale * range_max
    scope = _Scope(normalise_quantity_name(quantity) if quantity else None, low, high)
    start = _window_start(register, instrument, found_on, since)

    certificates = register.certificates
    suspects: dict[str, frozenset[str] | None] = {
        c.id: None for c in register.certificates_by_instrument.get(instrument, [])
    }
    seen: set[str] = set(suspects)
    queue: deque[tuple[str, int]] = deque()
    for suspect in suspects:
        for dependant in register.dependants.get(suspect, ()):
            day = certificates[dependant].calibrated_on
            if dependant not in seen and (start is None or start <= day) and day <= found_on:
                seen.add(dependant)
                queue.append((dependant, 1))
    affected: list[AffectedCertificate] = []
    while queue:
        cert_id, depth = queue.popleft()
        cert = certificates[cert_id]
        points, reason, via = _classify(cert, suspects, scope)
        affected.append(
            AffectedCertificate(
                cert_id,
                cert.instrument,
                cert.calibrated_on,
                depth,
                bool(points),
                reason,
                via,
                points,
            )
        )
        if not points or (max_depth is not None and depth >= max_depth):
            continue
        keys = (
            None
            if points == ("(all)",)
            else frozenset(p.quantity_key for p in cert.points if p.describe() in points)
        )
        suspects[cert_id] = keys
        for dependant in register.dependants.get(cert_id, ()):
            if dependant not in seen:
                seen.add(dependant)
                queue.append((dependant, depth + 1))
    return ImpactResult(
        instrument=instrument,
        found_on=found_on,
        window=(start, found_on),
        since=since,
        quantity=quantity,
        event=event,
        affected=tuple(affected),
    )
