"""JSON documents of `calib trace` (CONTRACTS section 4): the register and the three reports.

``RegisterDocument`` is the input (unknown fields are an error); :func:`load_register`
validates it completely (structure, units against quantities, dates, U and k, duplicate
and unknown ids) and raises ``InvalidInputError`` naming the record id and the field,
before anything is built. The report documents are what ``--json`` prints.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from traceability.chain import CheckResult
from traceability.impact import ImpactResult
from traceability.intervals import IntervalReport
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
)
from uncertainty.errors import InvalidInputError

__all__ = [
    "AccreditationBodyInput",
    "AccreditationInput",
    "AffectedCertificateOutput",
    "CertificateCheckOutput",
    "CertificateInput",
    "CheckReportDocument",
    "CheckSummary",
    "CmcInput",
    "EventInput",
    "FindingOutput",
    "ImpactReportDocument",
    "InstrumentInput",
    "IntervalRecommendationOutput",
    "IntervalReportDocument",
    "IssuerInput",
    "PointInput",
    "ReferenceInput",
    "RegisterDocument",
    "load_register",
    "parse_register",
]


_T = TypeVar("_T")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AccreditationBodyInput(_Strict):
    """An accreditation body; ``ilac_mra``: ILAC MRA signatory for calibration."""

    id: str = Field(min_length=1)
    ilac_mra: bool
    name: str = ""


class AccreditationInput(_Strict):
    """Accreditation number and validity (both dates inclusive)."""

    number: str
    valid_from: date
    valid_until: date | None = None


class CmcInput(_Strict):
    """A CMC / scope line: quantity, range [min, max] in unit, U and k."""

    quantity: str
    min: float
    max: float
    unit: str
    expanded_uncertainty: float
    coverage_factor: float = 2.0


class IssuerInput(_Strict):
    """A certificate issuer."""

    id: str = Field(min_length=1)
    kind: Literal["nmi", "accredited_lab", "crm_producer", "primary", "other"]
    name: str = ""
    accreditation_body: str | None = None
    accreditation: AccreditationInput | None = None
    cmcs: list[CmcInput] = Field(default_factory=list)
    traceability_evidence: str | None = Field(
        default=None,
        description="id of an evidence record that lifts ISSUER_NOT_ILAC_MRA (ILAC P10)",
    )


class InstrumentInput(_Strict):
    """An instrument of the asset register."""

    id: str = Field(min_length=1)
    description: str = ""
    role: Literal["reference", "working", "check_standard"] = "working"
    status: Literal["in_service", "quarantined", "retired"] = "in_service"
    manufacturer: str = ""
    model: str = ""
    serial: str = ""
    site: str = ""
    calibration_interval_months: float | None = None


class PointInput(_Strict):
    """A calibration point; tolerance is the ± half-width, errors in the point's unit."""

    quantity: str
    value: float
    unit: str
    expanded_uncertainty: float
    coverage_factor: float = 2.0
    tolerance: float | None = None
    as_found_error: float | None = None
    as_left_error: float | None = None


class ReferenceInput(_Strict):
    """A point-level reference: the certificate serves this certificate's ``quantity``."""

    certificate: str
    quantity: str | None = None


class CertificateInput(_Strict):
    """A calibration certificate."""

    id: str = Field(min_length=1)
    instrument: str
    issuer: str
    calibrated_on: date
    due: date | None = None
    issued_on: date | None = None
    references: list[str | ReferenceInput] = Field(default_factory=list)
    supersedes: str | None = None
    points: list[PointInput] = Field(default_factory=list)


class EventInput(_Strict):
    """An instrument event (out of tolerance, checks, quarantine, return, repair)."""

    instrument: str
    kind: Literal[
        "out_of_tolerance",
        "intermediate_check_passed",
        "intermediate_check_failed",
        "quarantine",
        "returned_to_service",
        "repair",
    ]
    on: date
    id: str | None = None
    quantity: str | None = None
    value: float | None = None
    unit: str | None = None
    error: float | None = None
    range_min: float | None = None
    range_max: float | None = None


class RegisterDocument(_Strict):
    """The register of CONTRACTS section 4 (input of every `calib trace` command)."""

    accreditation_bodies: list[AccreditationBodyInput] = Field(default_factory=list)
    issuers: list[IssuerInput] = Field(default_factory=list)
    instruments: list[InstrumentInput] = Field(default_factory=list)
    certificates: list[CertificateInput] = Field(default_factory=list)
    events: list[EventInput] = Field(default_factory=list)
    tur_minimum: float = 4.0

    def to_register(self) -> Register:
        """Build the engine's :class:`Register`; errors name the record id and field."""
        bodies = [AccreditationBody(b.id, b.ilac_mra, b.name) for b in self.accreditation_bodies]
        issuers = [_issuer(i) for i in self.issuers]
        instruments = [
            _build(f"instruments[{i.id}]", partial(Instrument, **i.model_dump()))
            for i in self.instruments
        ]
        certificates = [_certificate(c) for c in self.certificates]
        events = [
            _build(f"events[{k}]", partial(Event, **e.model_dump()))
            for k, e in enumerate(self.events)
        ]
        return Register(
            accreditation_bodies=bodies,
            issuers=issuers,
            instruments=instruments,
            certificates=certificates,
            events=events,
            tur_minimum=self.tur_minimum,
        )


def _build(where: str, make: Callable[[], _T]) -> _T:
    try:
        return make()
    except InvalidInputError as exc:
        field = f"{where}.{exc.field}" if exc.field else where
        raise InvalidInputError(str(exc.args[0]), field=field) from exc


def _issuer(issuer: IssuerInput) -> Issuer:
    where = f"issuers[{issuer.id}]"
    lines = tuple(
        _build(f"{where}.cmcs[{j}]", partial(CmcLine, **c.model_dump()))
        for j, c in enumerate(issuer.cmcs)
    )
    accreditation = (
        None if issuer.accreditation is None else Accreditation(**issuer.accreditation.model_dump())
    )
    if accreditation is not None and accreditation.valid_until is not None:
        if accreditation.valid_until < accreditation.valid_from:
            raise InvalidInputError(
                f"valid_until {accreditation.valid_until} is before valid_from "
                f"{accreditation.valid_from}",
                field=f"{where}.accreditation.valid_until",
            )
    return _build(
        where,
        lambda: Issuer(
            issuer.id,
            issuer.kind,
            issuer.accreditation_body,
            accreditation,
            lines,
            issuer.traceability_evidence,
            issuer.name,
        ),
    )


def _certificate(cert: CertificateInput) -> Certificate:
    where = f"certificates[{cert.id}]"
    points = tuple(
        _build(f"{where}.points[{j}]", partial(Point, **p.model_dump()))
        for j, p in enumerate(cert.points)
    )
    references = tuple(
        Reference(r) if isinstance(r, str) else Reference(r.certificate, r.quantity)
        for r in cert.references
    )
    return _build(
        where,
        lambda: Certificate(
            id=cert.id,
            instrument=cert.instrument,
            issuer=cert.issuer,
            calibrated_on=cert.calibrated_on,
            due=cert.due,
            references=references,
            points=points,
            supersedes=cert.supersedes,
            issued_on=cert.issued_on,
        ),
    )


def _field_path(loc: tuple[int | str, ...], data: Any) -> str:
    """Dotted path of a pydantic error location, naming records by id where possible."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int):
            label = str(item)
            if isinstance(node, list) and 0 <= item < len(node):
                node = node[item]
                if isinstance(node, dict) and isinstance(node.get("id"), str):
                    label = node["id"]
            else:
                node = None
            if parts:
                parts[-1] += f"[{label}]"
            else:
                parts.append(f"[{label}]")
        else:
            node = node.get(item) if isinstance(node, dict) else None
            parts.append(item)
    return ".".join(parts)


def parse_register(data: Any) -> RegisterDocument:
    """Validate the structure of a register document (pydantic), naming the bad field."""
    try:
        return RegisterDocument.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(
            x for x in error["loc"] if not (isinstance(x, str) and x in ("str", "ReferenceInput"))
        )
        field = _field_path(loc, data)
        bad = error.get("input")
        shown = "" if isinstance(bad, dict | list) else f", got {bad!r}"
        more = f" (and {len(exc.errors()) - 1} more errors)" if len(exc.errors()) > 1 else ""
        raise InvalidInputError(f"{error['msg']}{shown}{more}", field=field or "register") from exc


def load_register(data: Any) -> Register:
    """Validate a register document completely and build the engine's :class:`Register`.

    Raises
    ------
    InvalidInputError
        Naming the record id and field: unknown field or id, bad date order, a unit that
        does not parse or does not fit its quantity, negative U, k ≤ 0, duplicate ids.
    """
    return parse_register(data).to_register()


# ----------------------------------------------------------------------------- outputs


class FindingOutput(BaseModel):
    """One finding: stable code, severity, clause, message and evidence ids."""

    code: str
    severity: Literal["fail", "conditional", "warn"]
    clause: str
    message: str
    evidence: list[str]


class CertificateCheckOutput(BaseModel):
    """Verdict on one certificate."""

    id: str
    traceable: bool
    chain: list[str]
    findings: list[FindingOutput]
    instrument: str
    calibrated_on: date


class CheckSummary(BaseModel):
    """Counts of the check."""

    traceable: int
    not_traceable: int
    findings_by_code: dict[str, int] = Field(default_factory=dict)


class CheckReportDocument(BaseModel):
    """Output of `calib trace check --json` (CONTRACTS section 4)."""

    as_of: date
    certificates: list[CertificateCheckOutput]
    summary: CheckSummary

    @classmethod
    def from_result(cls, result: CheckResult) -> CheckReportDocument:
        """Build the document from the engine's result."""
        counts: dict[str, int] = {}
        rows = []
        for v in result.verdicts:
            for f in v.findings:
                counts[f.code] = counts.get(f.code, 0) + 1
            rows.append(
                CertificateCheckOutput(
                    id=v.certificate,
                    traceable=v.traceable,
                    chain=list(v.chain),
                    findings=[
                        FindingOutput(
                            code=f.code,
                            severity=f.severity,  # type: ignore[arg-type]
                            clause=f.clause,
                            message=f.message,
                            evidence=list(f.evidence),
                        )
                        for f in v.findings
                    ],
                    instrument=v.instrument,
                    calibrated_on=v.calibrated_on,
                )
            )
        summary = CheckSummary(
            traceable=result.traceable,
            not_traceable=result.not_traceable,
            findings_by_code=dict(sorted(counts.items())),
        )
        return cls(as_of=result.as_of, certificates=rows, summary=summary)


class AffectedCertificateOutput(BaseModel):
    """A downstream certificate of an impact query."""

    certificate: str
    depth: int
    impacted: bool
    reason: str
    instrument: str
    calibrated_on: date
    via: str
    impacted_points: list[str]
    nonconformity: str | None = None
    customer_notified: bool | None = None


class ImpactReportDocument(BaseModel):
    """Output of `calib trace impact --json` (CONTRACTS section 4)."""

    instrument: str
    found_on: date
    window: tuple[date | None, date]
    since: str
    quantity: str | None
    affected: list[AffectedCertificateOutput]
    impacted_count: int
    not_impacted_count: int

    @classmethod
    def from_result(cls, result: ImpactResult) -> ImpactReportDocument:
        """Build the document from the engine's result."""
        rows = [
            AffectedCertificateOutput(
                certificate=a.certificate,
                depth=a.depth,
                impacted=a.impacted,
                reason=a.reason,
                instrument=a.instrument,
                calibrated_on=a.calibrated_on,
                via=a.via,
                impacted_points=list(a.impacted_points),
            )
            for a in result.affected
        ]
        impacted = sum(1 for a in result.affected if a.impacted)
        return cls(
            instrument=result.instrument,
            found_on=result.found_on,
            window=result.window,
            since=result.since,
            quantity=result.quantity,
            affected=rows,
            impacted_count=impacted,
            not_impacted_count=len(rows) - impacted,
        )


class IntervalRecommendationOutput(BaseModel):
    """One interval recommendation with its reasoning."""

    method: str
    interval_months: float | None
    reasoning: str
    clause: str


class AsFoundOutput(BaseModel):
    """One calibration of the as-found history."""

    certificate: str
    calibrated_on: date
    interval_months: float | None
    in_tolerance: bool | None


class IntervalReportDocument(BaseModel):
    """Output of `calib trace interval --json` (CONTRACTS section 4)."""

    instrument: str
    current_interval_months: float | None
    recommendations: list[IntervalRecommendationOutput]
    history: list[AsFoundOutput]
    applied: bool = False

    @classmethod
    def from_report(cls, report: IntervalReport) -> IntervalReportDocument:
        """Build the document from the engine's report."""
        return cls(
            instrument=report.instrument,
            current_interval_months=report.current_interval_months,
            recommendations=[
                IntervalRecommendationOutput(
                    method=r.method,
                    interval_months=r.interval_months,
                    reasoning=r.reasoning,
                    clause=r.clause,
                )
                for r in report.recommendations
            ],
            history=[
                AsFoundOutput(
                    certificate=h.certificate,
                    calibrated_on=h.calibrated_on,
                    interval_months=h.interval_months,
                    in_tolerance=h.in_tolerance,
                )
                for h in report.history
            ],
        )
