"""Checks of one certificate on its own, judged as of its calibration date.

Everything here looks at a single certificate and the records it names: its issuer
(recognised root? accreditation valid on the calibration date? points inside the CMC
lines, reported uncertainty not below the CMC), its references (current, in service and
not superseded on the date they were used; reported uncertainty not below theirs) and its
test uncertainty ratios. The chain walk (``traceability.chain``) combines these local
findings along the references.

Each ``check_*`` function returns its findings; given ``out``, it appends them to that
list instead (and returns it), so a bulk check allocates one list per certificate.

Normalisation rule: uncertainties are compared as standard uncertainties u = U/k in SI
base units (JCGM 100:2008 6.2.1; PITFALLS "Traceability").

References
----------
ISO/IEC 17025:2017 6.4.7, 6.4.9, 6.5.1, 6.5.2; ILAC P10:07/2020 section 2;
ILAC P14:09/2020 6.4; ANSI/NCSL Z540.3-2006 5.3; JCGM 200:2012 2.41.
"""

from __future__ import annotations

from traceability.findings import Finding, make_finding
from traceability.quantities import normalise_quantity_name
from traceability.register import Certificate, CmcLine, Issuer, Point, Register

__all__ = [
    "ROOT_KINDS",
    "LocalCheck",
    "check_issuer",
    "check_points_scope",
    "check_references",
    "check_scope",
    "check_tur",
    "check_uncertainty_order",
    "compute_tur",
    "local_check",
]

#: Issuer kinds that terminate a chain by themselves (ISO/IEC 17025:2017 6.5.2 a-c):
#: an NMI (CIPM MRA), a CRM producer, a primary realisation of the unit.
ROOT_KINDS = frozenset({"nmi", "crm_producer", "primary"})
_REL = 1e-9  # relative slack for float comparisons after unit conversion
_NONE: tuple[Certificate, ...] = ()


class LocalCheck:
    """Local findings of one certificate and whether its issuer is a recognised root."""

    __slots__ = ("findings", "recognised_root")

    def __init__(self, findings: list[Finding], recognised_root: bool) -> None:
        self.findings = findings
        self.recognised_root = recognised_root


def _in_range(line: CmcLine, point: Point) -> bool:
    value = point.value_si
    if line.low_bound <= value <= line.high_bound:
        return True
    # A range stated as magnitudes (0 to 100 V) also covers -100 V (same unit, no offset).
    return (
        line.min_si >= 0
        and point.scale * point.value == value
        and line.low_bound <= -value <= line.high_bound
    )


def _fmt(u_si: float, point: Point) -> str:
    return f"{u_si / point.scale:.3g} {point.unit}"


def _scope_verdict(point: Point, lines: dict[str, list[CmcLine]]) -> tuple[str, float] | None:
    covering = [line for line in lines.get(point.quantity_key, ()) if _in_range(line, point)]
    if not covering:
        return ("OUTSIDE_ACCREDITED_SCOPE", 0.0)
    best = min(line.u_si for line in covering)
    if point.u_si < best * (1 - _REL):
        return ("UNCERTAINTY_BELOW_CMC", best)
    return None


ScopeCache = dict[tuple[str, str, float, float, float], "tuple[str, float] | None"]


def check_scope(
    cert: Certificate,
    issuer: Issuer,
    lines: dict[str, list[CmcLine]],
    cache: ScopeCache | None = None,
    out: list[Finding] | None = None,
) -> list[Finding]:
    """Points outside every CMC line, and reported u below the best covering CMC.

    ``lines`` maps a quantity key to the issuer's CMC lines of that quantity. A point is
    inside when some line of the same quantity and dimension covers its value; its
    standard uncertainty U/k must then be at least the smallest U/k of the covering lines.

    References
    ----------
    ILAC P10:07/2020 section 2 (services covered by the CIPM MRA / the scope of
    accreditation); ILAC P14:09/2020 6.4 (reported uncertainty not below the CMC).
    ``cache`` memoises the verdict per (issuer, quantity, value, u): labs calibrate at the
    same points with the same uncertainty again and again.
    """
    findings: list[Finding] = [] if out is None else out
    for point in cert.points:
        if cache is None:
            verdict = _scope_verdict(point, lines)
        else:
            key = (issuer.id, point.quantity_key, point.value_si, point.u_si, point.scale)
            if key in cache:
                verdict = cache[key]
            else:
                verdict = cache[key] = _scope_verdict(point, lines)
        if verdict is None:
            continue
        code, best = verdict
        if code == "OUTSIDE_ACCREDITED_SCOPE":
            findings.append(
                make_finding(
                    "OUTSIDE_ACCREDITED_SCOPE",
                    f"point {point.describe()} is outside every CMC line of {issuer.id}",
                    (cert.id, issuer.id),
                )
            )
        else:
            findings.append(
                make_finding(
                    "UNCERTAINTY_BELOW_CMC",
                    f"point {point.describe()}: u = U/k = {_fmt(point.u_si, point)} is below the "
                    f"CMC of {issuer.id}, u = {_fmt(best, point)}",
                    (cert.id, issuer.id),
                )
            )
    return findings


def check_points_scope(
    cert: Certificate,
    issuer: Issuer,
    lines: dict[str, list[CmcLine]],
    cache: ScopeCache | None = None,
    out: list[Finding] | None = None,
) -> list[Finding]:
    """Scope of the points (:func:`check_scope`), or ``SCOPE_NOT_RECORDED`` (warn) when
    an NMI or accredited lab has no CMC lines recorded.
    """
    findings: list[Finding] = [] if out is None else out
    if issuer.cmcs:
        check_scope(cert, issuer, lines, cache, findings)
    elif issuer.kind in ("nmi", "accredited_lab") and cert.points:
        findings.append(
            make_finding(
                "SCOPE_NOT_RECORDED",
                f"issuer {issuer.id} has no CMC lines in the register; scope and CMC not checked",
                (cert.id, issuer.id),
            )
        )
    return findings


def check_issuer(
    register: Register, cert: Certificate, out: list[Finding] | None = None
) -> LocalCheck:
    """Recognition of the issuer at the calibration date.

    Recognised roots: an NMI, a CRM producer, a primary realisation, an accredited lab
    whose body signed the ILAC MRA, or any issuer with a traceability evidence record.
    An accredited lab also needs an accreditation valid on ``calibrated_on``.

    References
    ----------
    ISO/IEC 17025:2017 6.5.2; ILAC P10:07/2020 section 2.
    """
    issuer = register.issuers[cert.issuer]
    findings: list[Finding] = [] if out is None else out
    root = issuer.kind in ROOT_KINDS or issuer.traceability_evidence is not None
    if issuer.kind == "accredited_lab":
        body = register.accreditation_bodies.get(issuer.accreditation_body or "")
        if body is not None and body.ilac_mra:
            root = True
        elif issuer.traceability_evidence is None:
            findings.append(
                make_finding(
                    "ISSUER_NOT_ILAC_MRA",
                    f"issuer {issuer.id} is accredited by "
                    f"{issuer.accreditation_body or 'no recorded body'}, not an ILAC MRA "
                    "signatory; evidence of traceability is needed",
                    (cert.id, issuer.id),
                )
            )
        accreditation = issuer.accreditation
        if accreditation is None or not accreditation.valid_on(cert.calibrated_on):
            period = (
                "no accreditation recorded"
                if accreditation is None
                else f"accreditation {accreditation.number} valid "
                f"{accreditation.valid_from} to {accreditation.valid_until or 'open'}"
            )
            findings.append(
                make_finding(
                    "ACCREDITATION_INVALID_AT_CALIBRATION_DATE",
                    f"issuer {issuer.id}: {period}; calibrated on {cert.calibrated_on}",
                    (cert.id, issuer.id),
                )
            )
    elif issuer.kind == "other" and issuer.traceability_evidence is None:
        findings.append(
            make_finding(
                "ISSUER_NOT_ILAC_MRA",
                f"issuer {issuer.id} is neither an NMI nor an ILAC MRA accredited laboratory; "
                "evidence of traceability is needed",
                (cert.id, issuer.id),
            )
        )
    return LocalCheck(findings, root)


def check_references(
    register: Register, cert: Certificate, out: list[Finding] | None = None
) -> list[Finding]:
    """Each reference judged on the date it was used (the certificate's calibration date).

    Findings: reference calibrated after use, past due at use, its instrument out of
    service at use, superseded by an amendment issued before use, and a point whose
    reported u is below the u of its reference at the nearest point of the same quantity.
    A reference that expired or was superseded after the date of use does not count
    (PITFALLS: a past result is judged as of its own date).

    References
    ----------
    ISO/IEC 17025:2017 6.4.7, 6.4.9, 6.5.1, 7.8.8; JCGM 200:2012 2.41 Note 2.
    """
    findings: list[Finding] = [] if out is None else out
    day = cert.calibrated_on
    certificates = register.certificates
    for ref in cert.references:
        used = certificates[ref.certificate]
        if used.calibrated_on > day:
            findings.append(
                make_finding(
                    "REFERENCE_NOT_YET_CALIBRATED_AT_USE",
                    f"reference {used.id} was calibrated on {used.calibrated_on}, after its "
                    f"use on {day}",
                    (cert.id, used.id),
                )
            )
        elif used.due is not None and day > used.due:
            findings.append(
                make_finding(
                    "REFERENCE_EXPIRED_AT_USE",
                    f"reference {used.id} was due on {used.due}, used on {day}",
                    (cert.id, used.id),
                )
            )
        event = (
            register.out_of_service_event(used.instrument, day)
            if used.instrument in register.events_by_instrument
            else None
        )
        if event is not None:
            findings.append(
                make_finding(
                    "REFERENCE_QUARANTINED_AT_USE",
                    f"instrument {used.instrument} of reference {used.id} was out of service "
                    f"({event.kind} on {event.on}) when used on {day}",
                    (cert.id, used.id, event.id or f"{used.instrument}@{event.on}"),
                )
            )
        for amendment in register.superseded_by.get(used.id, _NONE):
            if amendment.issued <= day:
                findings.append(
                    make_finding(
                        "REFERENCE_SUPERSEDED",
                        f"reference {used.id} had been superseded by {amendment.id} "
                        f"(issued {amendment.issued}) when used on {day}",
                        (cert.id, used.id, amendment.id),
                    )
                )
        check_uncertainty_order(cert, used, ref.quantity, findings)
    return findings


def check_uncertainty_order(
    cert: Certificate, used: Certificate, quantity: str | None, findings: list[Finding]
) -> None:
    """Points of ``cert`` whose u is below the u of reference ``used`` at the nearest point.

    Only ``cert.points``, ``used.points`` and ``quantity`` decide whether a finding is made.
    """
    for point in cert.points:
        if quantity is not None and normalise_quantity_name(quantity) != point.quantity_key:
            continue
        candidates = used.points
        if len(candidates) == 1:
            nearest = candidates[0]
            if nearest.quantity_key != point.quantity_key:
                continue
        else:
            same = [p for p in candidates if p.quantity_key == point.quantity_key]
            if not same:
                continue
            nearest = min(same, key=lambda p: abs(p.value_si - point.value_si))
        if point.u_si < nearest.u_si * (1 - _REL):
            findings.append(
                make_finding(
                    "UNCERTAINTY_BELOW_REFERENCE",
                    f"point {point.describe()}: u = {_fmt(point.u_si, point)} is below the u of "
                    f"reference {used.id} at {nearest.describe()}, u = {_fmt(nearest.u_si, point)}",
                    (cert.id, used.id),
                )
            )


def compute_tur(tolerance: float, expanded_uncertainty_95: float) -> float:
    """TUR = tolerance span / (2 U95) = (2·tolerance) / (2·U95).

    ``tolerance`` is the ± half-width; ``expanded_uncertainty_95`` the 95 % expanded
    uncertainty of the calibration process. Returns ``inf`` when U95 is 0.

    References
    ----------
    ANSI/NCSL Z540.3-2006 3.11 (definition) and 5.3 b; PITFALLS (TAR is another ratio).

    >>> compute_tur(0.010, 0.0025)
    4.0
    """
    if expanded_uncertainty_95 == 0:
        return float("inf")
    return (2.0 * tolerance) / (2.0 * expanded_uncertainty_95)


def check_tur(cert: Certificate, minimum: float, out: list[Finding] | None = None) -> list[Finding]:
    """TUR of each point with a tolerance, against the register's minimum.

    U95 is taken as 2·u with u = U/k (the reported U normalised to k = 2).

    References
    ----------
    ANSI/NCSL Z540.3-2006 5.3 b; ILAC G8:2019 4.2.
    """
    findings: list[Finding] = [] if out is None else out
    for point in cert.points:
        tolerance = point.tolerance
        if not tolerance:
            continue
        u95 = 2.0 * point.expanded_uncertainty / point.coverage_factor
        # TUR = 2 T / (2 U95) < minimum, written without a division by U95 = 0.
        if tolerance < minimum * (1 - _REL) * u95:
            tur = compute_tur(tolerance, u95)
            findings.append(
                make_finding(
                    "TUR_BELOW_MINIMUM",
                    f"point {point.describe()}: TUR = {tur:.3g} (tolerance ±{point.tolerance:g}, "
                    f"U95 = {u95:.3g} {point.unit}) is below the minimum {minimum:g}",
                    (cert.id,),
                )
            )
    return findings


def local_check(
    register: Register,
    cert: Certificate,
    lines: dict[str, list[CmcLine]],
    cache: ScopeCache | None = None,
) -> LocalCheck:
    """All local findings of ``cert`` and whether its issuer is a recognised root.

    ``lines`` are the issuer's CMC lines by quantity key (see :func:`check_scope`).
    A certificate without references whose issuer is not a recognised root gets
    ``CHAIN_NOT_TERMINATED``; an NMI or accredited lab with no CMC lines recorded gets
    ``SCOPE_NOT_RECORDED`` (warn).
    """
    issuer = register.issuers[cert.issuer]
    result = check_issuer(register, cert)
    findings = result.findings
    check_points_scope(cert, issuer, lines, cache, findings)
    if not cert.references and not result.recognised_root:
        result.findings.append(
            make_finding(
                "CHAIN_NOT_TERMINATED",
                f"{cert.id} names no reference and its issuer {issuer.id} ({issuer.kind}) is not "
                "a recognised root",
                (cert.id, issuer.id),
            )
        )
    if cert.references:
        check_references(register, cert, findings)
    check_tur(cert, register.tur_minimum, findings)
    return result
