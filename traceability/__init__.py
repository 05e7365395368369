"""ISO/IEC 17025 metrological traceability: registers, chains, decision rules, impact, intervals.

The engine takes plain in-memory objects (:mod:`traceability.register`); the JSON
documents of `calib trace` live in :mod:`traceability.schema`.
"""

from traceability.chain import CertificateVerdict, ChainChecker, CheckResult, check_register
from traceability.checks import compute_tur
from traceability.decision import (
    DECISION_RULES,
    ConformityStatement,
    decide,
    guarded_acceptance,
    managed_guard_band,
    non_binary,
    probability_of_false_accept,
    simple_acceptance,
    tur_from_limits,
    z540_managed,
)
from traceability.findings import FINDING_CODES, Finding, FindingCode
from traceability.impact import AffectedCertificate, ImpactResult, impact_analysis
from traceability.intervals import (
    AsFoundRecord,
    IntervalRecommendation,
    IntervalReport,
    as_found_history,
    drift_interval,
    recommend_intervals,
    staircase_interval,
)
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

__all__ = [
    "DECISION_RULES",
    "FINDING_CODES",
    "Accreditation",
    "AccreditationBody",
    "AffectedCertificate",
    "AsFoundRecord",
    "Certificate",
    "CertificateVerdict",
    "ChainChecker",
    "CheckResult",
    "CmcLine",
    "ConformityStatement",
    "Event",
    "Finding",
    "FindingCode",
    "ImpactResult",
    "Instrument",
    "IntervalRecommendation",
    "IntervalReport",
    "Issuer",
    "Point",
    "Reference",
    "Register",
    "as_found_history",
    "check_register",
    "compute_tur",
    "decide",
    "drift_interval",
    "guarded_acceptance",
    "impact_analysis",
    "managed_guard_band",
    "non_binary",
    "probability_of_false_accept",
    "recommend_intervals",
    "simple_acceptance",
    "staircase_interval",
    "tur_from_limits",
    "z540_managed",
]
