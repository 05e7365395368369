"""Assembling the engine's register from the rows of the trace tables (pure: no I/O).

The database side (:mod:`calib.trace_store`) fetches each table as plain column tuples
in a fixed order (:class:`RegisterRows`); :func:`register_from_rows` turns them into the
engine's :class:`~traceability.register.Register`. Built for bulk: identical points
and references are shared (they are frozen), text dates (SQLite) are parsed
once per distinct value, and a register whose rows come from the database skips the
duplicate-id and link checks that its unique and foreign-key constraints already make.

References
----------
ISO/IEC 17025:2017 6.4.13 (equipment records), 8.4 (control of records).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from traceability.register import (
    Accreditation,
    AccreditationBody,
    Certificate,
    CmcLine,
    Event,
    Instrument,
    Issuer,
    Point,
    Reference,
    Register,
    make_certificate,
    make_reference,
)

__all__ = ["RegisterRows", "register_from_rows"]

Row = Sequence[Any]


@dataclass(frozen=True, slots=True)
class RegisterRows:
    """The rows of the trace tables, each a tuple of the columns listed (ids are row ids).

    * ``bodies``: id, code, ilac_mra, name
    * ``cmc_lines``: issuer id, quantity, range min, range max, unit, U, k (by issuer,
      then position)
    * ``issuers``: id, code, kind, body id, accreditation number, valid from, valid until,
      traceability evidence, name
    * ``instruments``: id, code, description, role, status, manufacturer, model, serial,
      site code, calibration interval in months
    * ``certificates``: id, code, instrument id, issuer id, calibrated on, due on,
      supersedes id, issued on, status (in the order entered)
    * ``points``: certificate id, quantity, value, unit, U, k, tolerance, as-found error,
      as-left error (a certificate's points in position order)
    * ``references``: certificate id, reference certificate id, quantity (in position order)
    * ``events``: instrument id, kind, date, quantity, value, unit, error, range min,
      range max, code (by date)

    Dates are ``datetime.date`` or ISO text (``YYYY-MM-DD...``, as SQLite returns them).
    """

    bodies: Sequence[Row]
    cmc_lines: Sequence[Row]
    issuers: Sequence[Row]
    instruments: Sequence[Row]
    certificates: Sequence[Row]
    points: Sequence[Row]
    references: Sequence[Row]
    events: Sequence[Row]
    tur_minimum: float = 4.0


class _DayParser:
    """Dates from ``date`` objects or ISO text, each distinct text parsed once."""

    __slots__ = ("seen",)

    def __init__(self) -> None:
        self.seen: dict[Any, dt.date | None] = {None: None}

    def __call__(self, value: Any) -> Any:
        seen = self.seen
        day = seen.get(value, seen)
        if day is seen:
            day = seen[value] = value if isinstance(value, dt.date) else _parse_day(value)
        return day


def _parse_day(value: str) -> dt.date:
    return dt.date.fromisoformat(str(value)[:10])


class _StoredRegister(Register):
    """A register read from the database, whose constraints already guarantee ids and links."""

    def _validate_ids(
        self,
        bodies: list[AccreditationBody],
        issuers: list[Issuer],
        instruments: list[Instrument],
        certificates: list[Certificate],
    ) -> None:
        """Unique constraints on the codes of the trace tables hold this."""

    def _validate_links(self) -> None:
        """Foreign keys of the trace tables hold these."""


def register_from_rows(rows: RegisterRows, *, include_drafts: bool = False) -> Register:
    """Build the engine's register from ``rows`` (released certificates only by default).

    When drafts are left out, the links are checked as for a register document (a
    released certificate may not name a draft).
    """
    day = _DayParser()
    bodies = {row[0]: AccreditationBody(row[1], bool(row[2]), row[3]) for row in rows.bodies}
    lines: dict[int, list[CmcLine]] = {}
    for issuer_id, *line in rows.cmc_lines:
        lines.setdefault(issuer_id, []).append(CmcLine(*line))
    issuers: dict[int, Issuer] = {}
    for ident, code, kind, body_id, number, valid_from, valid_until, evidence, name in rows.issuers:
        accreditation = (
            Accreditation(number or "", day(valid_from), day(valid_until))
            if valid_from is not None
            else None
        )
        body = bodies[body_id].id if body_id is not None else None
        issuers[ident] = Issuer(
            code, kind, body, accreditation, tuple(lines.get(ident, ())), evidence, name
        )
    instruments = {
        row[0]: Instrument(*row[1:8], row[8] or "", row[9])  # type: ignore[call-arg]
        for row in rows.instruments
    }
    codes = {row[0]: row[1] for row in rows.certificates}
    points = _points(rows.points)
    references = _references(rows.references, codes)
    instrument_codes = {ident: inst.id for ident, inst in instruments.items()}
    issuer_codes = {ident: issuer.id for ident, issuer in issuers.items()}
    no_refs: tuple[Reference, ...] = ()
    no_points: tuple[Point, ...] = ()
    skipped = False
    certificates: list[Certificate] = []
    append = certificates.append
    days = day.seen  # inlined below: three dates a row, a few thousand distinct values
    for (
        ident,
        code,
        instrument_id,
        issuer_id,
        calibrated,
        due,
        supersedes,
        issued,
        status,
    ) in rows.certificates:
        if status != "released" and not include_drafts:
            skipped = True
            continue
        calibrated_on = days.get(calibrated) or day(calibrated)
        due_on = days.get(due) if due is None or due in days else day(due)
        issued_on = days.get(issued) if issued is None or issued in days else day(issued)
        append(
            make_certificate(
                code,
                instrument_codes[instrument_id],
                issuer_codes[issuer_id],
                calibrated_on,
                due_on,
                references.get(ident, no_refs),
                points.get(ident, no_points),
                codes[supersedes] if supersedes is not None else None,
                issued_on,
            )
        )
    events = [Event(instruments[row[0]].id, row[1], day(row[2]), *row[3:]) for row in rows.events]
    # When drafts were left out, a released record may name one: check the links.
    kind = Register if skipped else _StoredRegister
    return kind(
        accreditation_bodies=bodies.values(),
        issuers=issuers.values(),
        instruments=instruments.values(),
        certificates=certificates,
        events=events,
        tur_minimum=rows.tur_minimum,
    )


def _points(rows: Sequence[Row]) -> dict[int, tuple[Point, ...]]:
    """Each certificate's points; equal points are one object (the checks memoise by it)."""
    shared: dict[tuple[Any, ...], Point] = {}
    grouped: dict[int, list[Point]] = {}
    for row in rows:
        key = tuple(row[1:])
        point = shared.get(key)
        if point is None:
            point = shared[key] = Point(*key)
        found = grouped.get(row[0])
        if found is None:
            grouped[row[0]] = [point]
        else:
            found.append(point)
    return {ident: tuple(values) for ident, values in grouped.items()}


def _references(rows: Sequence[Row], codes: dict[int, str]) -> dict[int, tuple[Reference, ...]]:
    shared: dict[tuple[int, str | None], Reference] = {}
    grouped: dict[int, list[Reference]] = {}
    for ident, used, quantity in rows:
        key = (used, quantity)
        ref = shared.get(key)
        if ref is None:
            ref = shared[key] = make_reference(codes[used], quantity)
        found = grouped.get(ident)
        if found is None:
            grouped[ident] = [ref]
        else:
            found.append(ref)
    return {ident: tuple(values) for ident, values in grouped.items()}
