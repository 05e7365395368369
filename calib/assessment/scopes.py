"""Multisite scopes: one vocabulary of scope lines, master and site certificates.

Rules copied from the IECQ FAQ on multisite certification (IECQ 03-1:2023 and
similar system certification frameworks):

* Clause 5.2: each certified site must be individually listed in the online
  system and linked to the master certificate; the scope must reflect the actual
  activities conducted at each site.
* Clause 8.1.4: all certificates must contain a clear, unambiguous and detailed
  description of the scope of activity.
* Annex D (one management system): the Scope of Certification must be identical
  across all related certificates, with site-specific scopes clearly identified;
  the master site must always be designated as the head office or system control
  point.
* The master certificate states the Scope of Certification (all activities of all
  sites, "This Certificate is applicable for the following scope of activity") and
  the scope of the master site ("At this location"); each additional site
  certificate describes only the activities at that location, in the same
  terminology as the master certificate.

Here the scope of certification is derived, never typed: it is the union of the
site scopes, and every certificate refers to lines of the controlled vocabulary by
id, so wording is rendered from the line.

Certificates are judged as of a date: a certificate outside its validity (issued
later, or expired, as the previous master after a recertification) is history. It
stays in the report's ``history`` but no rule counts it, so a recertified lab has one
master (the valid one), not SEVERAL_MASTERS; two masters valid on the same day are
still flagged.

References
----------
IECQ 03-1:2023 5.2, 8.1.4, Annex D (as summarised in the IECQ FAQ "Multisite
certification: scope of activity").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from uncertainty.errors import InvalidInputError

__all__ = [
    "Certificate",
    "RenderedCertificate",
    "ScopeIssue",
    "ScopeLine",
    "ScopeReport",
    "Site",
    "build_certificates",
    "consistency_report",
    "render_certificate",
    "render_line",
]

CERTIFICATION_HEADING = "This Certificate is applicable for the following scope of activity"
LOCATION_HEADING = "At this location"


@dataclass(frozen=True)
class ScopeLine:
    """One line of the controlled scope vocabulary.

    Range, unit, CMC and procedure may be absent so that an incomplete line can
    be represented and reported as ambiguous (IECQ 03-1:2023 8.1.4).
    """

    id: str
    measurand: str
    range_min: float | None = None
    range_max: float | None = None
    unit: str | None = None
    cmc: str | None = None
    procedure: str | None = None


def render_line(line: ScopeLine) -> str:
    """The wording of a scope line, the same on every certificate.

    Examples
    --------
    >>> render_line(ScopeLine("L1", "DC voltage", 0, 1000, "V", "2 µV/V + 1 µV", "P-DCV-01"))
    'DC voltage, 0 V to 1000 V, CMC 2 µV/V + 1 µV (procedure P-DCV-01)'
    """
    parts = [line.measurand]
    if line.range_min is not None and line.range_max is not None:
        unit = f" {line.unit}" if line.unit else ""
        parts.append(f"{line.range_min:g}{unit} to {line.range_max:g}{unit}")
    if line.cmc:
        parts.append(f"CMC {line.cmc}")
    text = ", ".join(parts)
    return f"{text} (procedure {line.procedure})" if line.procedure else text


@dataclass(frozen=True)
class Site:
    """A site of the organisation; ``listed`` is whether it is in the online system."""

    id: str
    name: str
    is_head_office: bool = False
    listed: bool = True


@dataclass(frozen=True)
class Certificate:
    """A certificate: the scope of certification and the site's own lines, by id.

    ``issued_on`` / ``valid_until`` bound its validity, both days included (``None``:
    unbounded on that side).
    """

    id: str
    site_id: str
    kind: Literal["master", "site"]
    scope_of_certification: tuple[str, ...]
    site_scope: tuple[str, ...]
    master_id: str | None = None
    issued_on: dt.date | None = None
    valid_until: dt.date | None = None

    def valid_on(self, day: dt.date) -> bool:
        """Whether ``day`` lies within the validity (issue date to expiry, inclusive)."""
        return (self.issued_on is None or self.issued_on <= day) and (
            self.valid_until is None or day <= self.valid_until
        )


def _vocabulary(lines: Sequence[ScopeLine]) -> dict[str, ScopeLine]:
    vocab: dict[str, ScopeLine] = {}
    for line in lines:
        if line.id in vocab:
            raise InvalidInputError(f"scope line id {line.id!r} is used twice", field="lines.id")
        vocab[line.id] = line
    return vocab


def build_certificates(
    lines: Sequence[ScopeLine],
    sites: Sequence[Site],
    site_scopes: Mapping[str, Sequence[str]],
    *,
    certificate_ids: Mapping[str, str] | None = None,
) -> list[Certificate]:
    """The master certificate and one certificate per other site.

    The master goes to the head-office site; the scope of certification is the
    union of the site scopes, in vocabulary order, and is repeated on every
    certificate (IECQ 03-1:2023 Annex D); each site certificate cites the master.

    Raises
    ------
    InvalidInputError
        No or several head offices, an unknown site or an unknown line id.
    """
    vocab = _vocabulary(lines)
    heads = [s for s in sites if s.is_head_office]
    if len(heads) != 1:
        raise InvalidInputError(
            f"exactly one site must be the head office, got {[s.id for s in heads]}",
            field="sites.is_head_office",
        )
    known_sites = {s.id for s in sites}
    for site_id, ids in site_scopes.items():
        if site_id not in known_sites:
            raise InvalidInputError(f"unknown site {site_id!r}", field="site_scopes")
        for line_id in ids:
            if line_id not in vocab:
                raise InvalidInputError(
                    f"site {site_id}: line {line_id!r} is not in the scope vocabulary",
                    field=f"site_scopes.{site_id}",
                )
    used = {i for ids in site_scopes.values() for i in ids}
    union = tuple(line_id for line_id in vocab if line_id in used)
    names = dict(certificate_ids or {})
    head = heads[0]
    master_id = names.get(head.id, f"CERT-{head.id}")
    certificates = [
        Certificate(master_id, head.id, "master", union, tuple(site_scopes.get(head.id, ())))
    ]
    for site in sites:
        if site.id == head.id:
            continue
        certificates.append(
            Certificate(
                names.get(site.id, f"CERT-{site.id}"),
                site.id,
                "site",
                union,
                tuple(site_scopes.get(site.id, ())),
                master_id=master_id,
            )
        )
    return certificates


@dataclass(frozen=True)
class RenderedCertificate:
    """The scope wording of a certificate, rendered from the vocabulary."""

    certificate_id: str
    site_id: str
    master_id: str | None
    scope_of_certification: tuple[str, ...]
    at_this_location: tuple[str, ...]

    def text(self) -> str:
        """Plain-text rendering with the FAQ's headings."""
        out = [f"Certificate {self.certificate_id} (site {self.site_id})"]
        if self.master_id:
            out.append(f"Linked to master certificate {self.master_id}")
        out.append(f"{CERTIFICATION_HEADING}:")
        out.extend(f"  - {t}" for t in self.scope_of_certification)
        out.append(f"{LOCATION_HEADING}:")
        out.extend(f"  - {t}" for t in self.at_this_location)
        return "\n".join(out)


def render_certificate(certificate: Certificate, lines: Sequence[ScopeLine]) -> RenderedCertificate:
    """Render a certificate's wording from the line ids (never retyped)."""
    vocab = _vocabulary(lines)

    def words(ids: Sequence[str]) -> tuple[str, ...]:
        missing = [i for i in ids if i not in vocab]
        if missing:
            raise InvalidInputError(
                f"certificate {certificate.id} cites lines not in the vocabulary: {missing}",
                field="scope",
            )
        return tuple(render_line(vocab[i]) for i in ids)

    return RenderedCertificate(
        certificate.id,
        certificate.site_id,
        certificate.master_id,
        words(certificate.scope_of_certification),
        words(certificate.site_scope),
    )


@dataclass(frozen=True)
class ScopeIssue:
    """One divergence from the multisite rules."""

    code: str
    clause: str
    message: str
    ids: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class ScopeReport:
    """The consistency report: ``ok`` when there is no issue.

    ``history``: ids of the certificates not valid on the report date (expired or
    not yet issued), kept visible but not judged.
    """

    issues: tuple[ScopeIssue, ...]
    history: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the certificates follow every rule checked."""
        return not self.issues

    def codes(self) -> set[str]:
        """The issue codes present."""
        return {i.code for i in self.issues}


_C52 = "IECQ 03-1:2023 5.2"
_C814 = "IECQ 03-1:2023 8.1.4"
_CD = "IECQ 03-1:2023 Annex D"


def _line_issues(vocab: Mapping[str, ScopeLine]) -> list[ScopeIssue]:
    issues: list[ScopeIssue] = []
    seen: dict[str, str] = {}
    for line in vocab.values():
        missing = [
            name
            for name, value in (
                ("measurand", line.measurand.strip()),
                ("range", line.range_min is not None and line.range_max is not None),
                ("unit", line.unit),
                ("CMC", line.cmc),
                ("procedure", line.procedure),
            )
            if not value
        ]
        if missing:
            issues.append(
                ScopeIssue(
                    "AMBIGUOUS_WORDING",
                    _C814,
                    f"scope line {line.id} lacks {', '.join(missing)}: "
                    f"{render_line(line)!r} is not an unambiguous description",
                    (line.id,),
                )
            )
        elif (
            line.range_min is not None
            and line.range_max is not None
            and line.range_min > line.range_max
        ):
            issues.append(
                ScopeIssue(
                    "AMBIGUOUS_WORDING",
                    _C814,
                    f"scope line {line.id} has range {line.range_min:g} to {line.range_max:g}: "
                    "minimum above maximum",
                    (line.id,),
                )
            )
        wording = render_line(line).casefold()
        if wording in seen:
            issues.append(
                ScopeIssue(
                    "AMBIGUOUS_WORDING",
                    _C814,
                    f"scope lines {seen[wording]} and {line.id} have the same wording",
                    (seen[wording], line.id),
                )
            )
        seen[wording] = line.id
    return issues


def consistency_report(
    lines: Sequence[ScopeLine],
    sites: Sequence[Site],
    certificates: Sequence[Certificate],
    *,
    as_of: dt.date | None = None,
) -> ScopeReport:
    """Check the certificates valid on ``as_of`` against the multisite scope rules.

    With ``as_of`` the certificates not valid that day go to ``history`` and no rule
    counts them (the previous master of a recertification is not a second master);
    without it every certificate is judged.

    Issue codes: ``NO_MASTER`` / ``SEVERAL_MASTERS``, ``MASTER_NOT_HEAD_OFFICE``
    (Annex D), ``SITE_NOT_LISTED`` and ``SITE_NOT_LINKED`` (5.2: every site listed,
    with a certificate citing the master), ``UNKNOWN_LINE`` (8.1.4: wording not from
    the vocabulary), ``SITE_LINE_NOT_IN_MASTER`` (a site activity outside the scope
    of certification), ``MASTER_LINE_AT_NO_SITE`` (5.2: the scope reflects actual
    activities), ``SCOPE_NOT_IDENTICAL`` (Annex D), ``AMBIGUOUS_WORDING`` (8.1.4:
    a line without range, unit, CMC or procedure, an inverted range, or two lines
    with the same wording).

    References
    ----------
    IECQ 03-1:2023 5.2, 8.1.4, Annex D.
    """
    vocab = _vocabulary(lines)
    issues = _line_issues(vocab)
    history = tuple(c.id for c in certificates if as_of is not None and not c.valid_on(as_of))
    certificates = [c for c in certificates if c.id not in history]
    site_ids = {s.id for s in sites}
    masters = [c for c in certificates if c.kind == "master"]
    if not masters:
        when = "" if as_of is None else f" valid on {as_of.isoformat()}"
        issues.append(ScopeIssue("NO_MASTER", _CD, f"there is no master certificate{when}"))
        return ScopeReport(tuple(issues), history)
    if len(masters) > 1:
        issues.append(
            ScopeIssue(
                "SEVERAL_MASTERS",
                _CD,
                f"several master certificates: {[c.id for c in masters]}",
                tuple(c.id for c in masters),
            )
        )
    master = masters[0]
    by_site = {s.id: s for s in sites}
    head = by_site.get(master.site_id)
    if head is None or not head.is_head_office:
        issues.append(
            ScopeIssue(
                "MASTER_NOT_HEAD_OFFICE",
                _CD,
                f"master certificate {master.id} is held by site {master.site_id}, "
                "which is not designated as the head office",
                (master.id, master.site_id),
            )
        )
    for site in sites:
        if not site.listed:
            issues.append(
                ScopeIssue(
                    "SITE_NOT_LISTED",
                    _C52,
                    f"site {site.id} ({site.name}) is not listed in the online system",
                    (site.id,),
                )
            )
        if site.id == master.site_id:
            continue
        own = [c for c in certificates if c.site_id == site.id and c.kind == "site"]
        if not own:
            issues.append(
                ScopeIssue(
                    "SITE_NOT_LINKED", _C52, f"site {site.id} has no site certificate", (site.id,)
                )
            )
        for cert in own:
            if cert.master_id != master.id:
                issues.append(
                    ScopeIssue(
                        "SITE_NOT_LINKED",
                        _C52,
                        f"certificate {cert.id} of site {site.id} cites master "
                        f"{cert.master_id!r}, not {master.id}",
                        (cert.id, site.id),
                    )
                )
    master_scope = set(master.scope_of_certification)
    covered: set[str] = set()
    for cert in certificates:
        if cert.site_id not in site_ids:
            issues.append(
                ScopeIssue(
                    "SITE_NOT_LISTED",
                    _C52,
                    f"certificate {cert.id} names site {cert.site_id!r}, which is not a known site",
                    (cert.id,),
                )
            )
        for line_id in (*cert.scope_of_certification, *cert.site_scope):
            if line_id not in vocab:
                issues.append(
                    ScopeIssue(
                        "UNKNOWN_LINE",
                        _C814,
                        f"certificate {cert.id} cites {line_id!r}, not a line of the vocabulary",
                        (cert.id, line_id),
                    )
                )
        for line_id in cert.site_scope:
            covered.add(line_id)
            if line_id not in master_scope:
                issues.append(
                    ScopeIssue(
                        "SITE_LINE_NOT_IN_MASTER",
                        _C52,
                        f"site {cert.site_id} performs {line_id} ({_wording(vocab, line_id)}), "
                        f"which is not in the scope of certification of {master.id}",
                        (cert.id, line_id),
                    )
                )
        if cert is not master and set(cert.scope_of_certification) != master_scope:
            issues.append(
                ScopeIssue(
                    "SCOPE_NOT_IDENTICAL",
                    _CD,
                    f"certificate {cert.id} states a scope of certification different from "
                    f"master {master.id}: "
                    f"missing {sorted(master_scope - set(cert.scope_of_certification))}, "
                    f"extra {sorted(set(cert.scope_of_certification) - master_scope)}",
                    (cert.id, master.id),
                )
            )
    for line_id in master.scope_of_certification:
        if line_id not in covered:
            issues.append(
                ScopeIssue(
                    "MASTER_LINE_AT_NO_SITE",
                    _C52,
                    f"{line_id} ({_wording(vocab, line_id)}) is in the scope of certification "
                    "but no site performs it",
                    (master.id, line_id),
                )
            )
    return ScopeReport(tuple(issues), history)


def _wording(vocab: Mapping[str, ScopeLine], line_id: str) -> str:
    line = vocab.get(line_id)
    return render_line(line) if line else "unknown line"
