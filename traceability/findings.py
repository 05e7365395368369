"""Finding codes of a traceability check: stable code, severity and the clause it rests on.

Severities (CONTRACTS section 4): ``fail`` breaks traceability; ``conditional`` keeps the
certificate traceable pending evidence; ``warn`` is listed for the assessor.

References
----------
ISO/IEC 17025:2017 6.4, 6.5; ILAC P10:07/2020 section 2; ILAC P14:09/2020;
ANSI/NCSL Z540.3-2006 5.3 (TUR).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FINDING_CODES", "SEVERITIES", "Finding", "FindingCode", "make_finding"]

SEVERITIES = ("fail", "conditional", "warn")


@dataclass(frozen=True, slots=True)
class FindingCode:
    """A finding code with its severity, clause and one-line meaning."""

    code: str
    severity: str
    clause: str
    title: str


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding about a certificate, with the ids of the records that show it."""

    code: str
    severity: str
    clause: str
    message: str
    evidence: tuple[str, ...] = ()


_P10 = "ILAC P10:07/2020 section 2"
_CODES = (
    FindingCode(
        "NO_VALID_CERTIFICATE",
        "fail",
        "ISO/IEC 17025:2017 6.4.7, 6.5.1",
        "the instrument is in service with no calibration valid at the date of use",
    ),
    FindingCode(
        "REFERENCE_EXPIRED_AT_USE",
        "fail",
        "ISO/IEC 17025:2017 6.4.7, 6.5.1",
        "a reference standard's certificate was past due when it was used",
    ),
    FindingCode(
        "REFERENCE_NOT_YET_CALIBRATED_AT_USE",
        "fail",
        "ISO/IEC 17025:2017 6.5.1",
        "a reference certificate is dated after the calibration that used it",
    ),
    FindingCode(
        "REFERENCE_QUARANTINED_AT_USE",
        "fail",
        "ISO/IEC 17025:2017 6.4.9",
        "a reference standard was out of service when it was used",
    ),
    FindingCode(
        "REFERENCE_SUPERSEDED",
        "warn",
        "ISO/IEC 17025:2017 7.8.8",
        "a reference certificate had been superseded by an amendment when it was used",
    ),
    FindingCode(
        "REFERENCE_NOT_TRACEABLE",
        "fail",
        "ISO/IEC 17025:2017 6.5.1",
        "a reference certificate is itself not traceable (unbroken chain required)",
    ),
    FindingCode(
        "CHAIN_CYCLE",
        "fail",
        "ISO/IEC 17025:2017 6.5.1; JCGM 200:2012 2.42",
        "the references lead back to this certificate (a chain must end at the SI)",
    ),
    FindingCode(
        "CHAIN_NOT_TERMINATED",
        "fail",
        f"ISO/IEC 17025:2017 6.5.2; {_P10}",
        "a certificate without references was not issued by a recognised root",
    ),
    FindingCode(
        "ISSUER_NOT_ILAC_MRA",
        "conditional",
        f"{_P10}; ISO/IEC 17025:2017 6.5.2",
        "issuer not covered by the ILAC Arrangement: evidence of traceability is needed",
    ),
    FindingCode(
        "ACCREDITATION_INVALID_AT_CALIBRATION_DATE",
        "fail",
        f"{_P10}; ISO/IEC 17025:2017 6.6.2",
        "the issuer's accreditation was not valid on the calibration date",
    ),
    FindingCode(
        "OUTSIDE_ACCREDITED_SCOPE",
        "fail",
        f"{_P10}; ILAC P14:09/2020 section 5",
        "a point lies outside every CMC line of the issuer for its quantity",
    ),
    FindingCode(
        "SCOPE_NOT_RECORDED",
        "warn",
        f"{_P10}; ILAC P14:09/2020 section 5",
        "the issuer's CMC / scope lines are not in the register, so scope was not checked",
    ),
    FindingCode(
        "UNCERTAINTY_BELOW_REFERENCE",
        "fail",
        "ISO/IEC 17025:2017 6.5.1; JCGM 200:2012 2.41 Note 2",
        "a reported uncertainty is smaller than the uncertainty of its reference",
    ),
    FindingCode(
        "UNCERTAINTY_BELOW_CMC",
        "fail",
        "ILAC P14:09/2020 6.4",
        "a reported uncertainty is smaller than the issuer's CMC for that point",
    ),
    FindingCode(
        "TUR_BELOW_MINIMUM",
        "warn",
        "ANSI/NCSL Z540.3-2006 5.3; ILAC G8:2019 4.2",
        "test uncertainty ratio (tolerance span / 2U) below the register's minimum",
    ),
)

#: Every finding code by name.
FINDING_CODES: dict[str, FindingCode] = {c.code: c for c in _CODES}


def make_finding(code: str, message: str, evidence: tuple[str, ...] = ()) -> Finding:
    """Build a finding with the severity and clause of its ``code``.

    >>> make_finding("TUR_BELOW_MINIMUM", "TUR 2.0").severity
    'warn'
    """
    spec = FINDING_CODES[code]
    return Finding(spec.code, spec.severity, spec.clause, message, evidence)
