"""Demo traceability register for ``calib demo`` (registered in ``DEMO_EXTENSIONS``).

NMI-rooted chains for DC and AC voltage, mass, length, temperature, pressure and torque:
two NMIs (LNE, PTB) and accredited labs calibrate the demo lab's reference standards; the
lab (issuer ``OWN``) calibrates its working standards and every released customer job
of the foundation demo against them (one certificate per job, numbered like the job).
About 18 months of certificates, with decision-rule statements on the customer points.

Deliberately broken links an assessor should find:

* ``WRK-PRS-02`` was recalibrated 25 days late; pressure jobs in between used an
  expired certificate (``REFERENCE_EXPIRED_AT_USE``);
* ``REF-TMP-02`` failed an intermediate check 45 days ago and is quarantined, yet one
  thermocouple job used it afterwards (``REFERENCE_QUARANTINED_AT_USE``);
* ``REF-LEN-02`` (200 mm) was calibrated by CALAB-BE, whose scope ends at 100 mm
  (``OUTSIDE_ACCREDITED_SCOPE``), and one gauge-block job used it;
* one 8.5-digit DMM job has a TUR of 3.2 (``TUR_BELOW_MINIMUM``);
* the thermo-hygrometer ``WRK-HYG-01`` is in service but overdue (``NO_VALID_CERTIFICATE``);
* ``REF-CAL-01`` (multifunction calibrator) was found out of tolerance at 10 V DC at its
  calibration 30 days ago: the impact on the DMM jobs since its previous calibration is
  analysed, with one nonconformity per impacted certificate.

Everything is written through the audit trail in bulk (:mod:`calib.trace_store`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlmodel import col

from calib.records import Job, Procedure, Site
from calib.trace_store import audited_insert, write_register
from traceability.decision import decide
from traceability.records import TraceCertificate, TraceConformityStatement, TracePoint
from traceability.schema import RegisterDocument

if TYPE_CHECKING:
    from sqlmodel import Session

    from calib.demo import DemoContext

__all__ = ["seed_demo"]


@dataclass(frozen=True)
class _Standard:
    code: str
    description: str
    manufacturer: str
    model: str
    site: int
    role: str
    issuer: str
    days_ago: tuple[int, ...]
    interval_months: int
    points: tuple[tuple[str, float, str, float, float | None], ...]  # quantity, value, unit, U, tol
    uses: tuple[str, ...] = ()
    status: str = "in_service"


_STANDARDS = (
    _Standard("REF-DCV-01", "DC voltage reference 10 V (Zener)", "Fluke", "732C", 0, "reference", "LNE", (600, 235), 12, (("DC voltage", 10.0, "V", 5e-7, None),)),
    _Standard("REF-ACV-01", "AC/DC thermal transfer standard", "Fluke", "792A", 0, "reference", "CALAB-FR", (590, 225), 12, (("AC voltage", 1.0, "V", 1.2e-5, None),)),
    _Standard("CHK-DCV-01", "Check standard 10 V DC", "Fluke", "732B", 0, "check_standard", "OWN", (580, 215), 12, (("DC voltage", 10.0, "V", 3e-6, 2e-5),), ("REF-DCV-01",)),
    _Standard("REF-CAL-01", "Multifunction calibrator", "Fluke", "5730A", 0, "reference", "OWN", (570, 390, 210, 30), 6, (("DC voltage", 10.0, "V", 4e-6, 3.5e-5), ("AC voltage", 1.0, "V", 3e-5, 1.5e-4)), ("REF-DCV-01", "REF-ACV-01")),
    _Standard("REF-MAS-01", "E1 weight set 1 mg to 10 kg", "Häfner", "E1-10K", 0, "reference", "LNE", (715, 350), 12, (("mass", 10000.0, "g", 0.0016, None),)),
    _Standard("WRK-MAS-02", "F1 weight 10 kg", "Kern", "F1-10K", 0, "working", "OWN", (560, 380, 200, 20), 6, (("mass", 10000.0, "g", 0.008, 0.05),), ("REF-MAS-01",)),
    _Standard("REF-LEN-01", "Gauge block set grade K, 0.5 to 100 mm", "Mitutoyo", "516-K", 1, "reference", "CALAB-BE", (590, 225), 12, (("length", 50.0, "mm", 4e-5, None),)),
    _Standard("REF-LEN-02", "Long gauge block 200 mm grade 0", "Mitutoyo", "619-0", 1, "reference", "CALAB-BE", (120,), 12, (("length", 200.0, "mm", 8e-5, None),)),
    _Standard("REF-TMP-01", "Type R reference thermocouple", "Isotech", "R-REF", 0, "reference", "PTB", (580, 215), 12, (("temperature", 1000.0, "degC", 0.3, None),)),
    _Standard("REF-TMP-02", "Type R working thermocouple", "Isotech", "R-WRK", 0, "reference", "OWN", (560, 380, 200), 6, (("temperature", 1000.0, "degC", 0.5, 2.5),), ("REF-TMP-01",), "quarantined"),
    _Standard("REF-PRS-01", "Pressure balance 0.1 to 100 MPa", "DH Instruments", "PG7302", 1, "reference", "LNE", (500,), 24, (("pressure", 10.0, "MPa", 2e-4, None),)),
    _Standard("WRK-PRS-02", "Digital pressure calibrator 0 to 70 MPa", "Beamex", "MC6", 1, "working", "CALAB-FR", (560, 150), 12, (("pressure", 10.0, "MPa", 8e-4, 3.5e-3),)),
    _Standard("REF-TOR-01", "Torque reference transducer 5 to 500 N m", "HBM", "TB2", 0, "reference", "NORDCAL", (570, 205), 12, (("torque", 200.0, "N*m", 0.2, None),)),
    _Standard("WRK-HYG-01", "Thermo-hygrometer (laboratory environment)", "Vaisala", "HMT330", 0, "working", "CALAB-FR", (400,), 12, (("temperature", 20.0, "degC", 0.08, 0.4),)),
    _Standard("REF-DCV-00", "DC voltage reference 10 V (old, retired)", "Fluke", "732A", 0, "reference", "LNE", (900,), 12, (("DC voltage", 10.0, "V", 6e-7, None),), (), "retired"),
)  # fmt: skip

#: procedure -> (reference standard, points: quantity, value, unit, U, tolerance, rule)
_CUSTOMER = {
    "CP-ELE-01": ("REF-CAL-01", (("DC voltage", 10.0, "V", 2.5e-5, 3.5e-4), ("AC voltage", 1.0, "V", 6e-5, 6e-4)), "guarded"),
    "CP-MAS-01": ("WRK-MAS-02", (("mass", 10000.0, "g", 0.010, 0.05),), "simple"),
    "CP-LEN-01": ("REF-LEN-01", (("length", 50.0, "mm", 9e-5, 4e-4),), "simple"),
    "CP-TMP-01": ("REF-TMP-02", (("temperature", 1000.0, "degC", 0.6, 2.5),), "non_binary"),
    "CP-PRS-01": ("WRK-PRS-02", (("pressure", 10.0, "MPa", 0.01, 0.1),), "simple"),
    "CP-TOR-01": ("REF-TOR-01", (("torque", 200.0, "N*m", 0.8, 8.0),), "simple"),
}  # fmt: skip


def _issuers(as_of: dt.date) -> list[dict[str, Any]]:
    def cmc(quantity: str, low: float, high: float, unit: str, u: float) -> dict[str, Any]:
        return {
            "quantity": quantity,
            "min": low,
            "max": high,
            "unit": unit,
            "expanded_uncertainty": u,
            "coverage_factor": 2,
        }

    def accreditation(number: str, years_back: int) -> dict[str, Any]:
        return {
            "number": number,
            "valid_from": (as_of - dt.timedelta(days=365 * years_back)).isoformat(),
            "valid_until": (as_of + dt.timedelta(days=700)).isoformat(),
        }

    return [
        {"id": "LNE", "kind": "nmi", "name": "Laboratoire national de métrologie et d'essais",
         "cmcs": [cmc("DC voltage", 1, 10, "V", 4e-7), cmc("mass", 0.001, 10, "kg", 1e-6),
                  cmc("pressure", 0.1, 100, "MPa", 1.5e-4)]},
        {"id": "PTB", "kind": "nmi", "name": "Physikalisch-Technische Bundesanstalt",
         "cmcs": [cmc("temperature", 0, 1500, "degC", 0.25)]},
        {"id": "CALAB-FR", "kind": "accredited_lab", "name": "Calibration Lab Lyon-Est",
         "accreditation_body": "COFRAC", "accreditation": accreditation("2-1234", 6),
         "cmcs": [cmc("AC voltage", 0.001, 1000, "V", 1e-5), cmc("pressure", 0, 70, "MPa", 5e-4),
                  cmc("temperature", -40, 150, "degC", 0.08)]},
        {"id": "CALAB-BE", "kind": "accredited_lab", "name": "Kalibratielab Gent",
         "accreditation_body": "BELAC", "accreditation": accreditation("BELAC 123-CAL", 5),
         "cmcs": [cmc("length", 0.5, 100, "mm", 3e-5)]},
        {"id": "NORDCAL", "kind": "accredited_lab", "name": "Nordic Torque Calibration",
         "accreditation_body": "NAS", "accreditation": accreditation("NAS-77", 4),
         "cmcs": [cmc("torque", 5, 1000, "N*m", 0.2)],
         "traceability_evidence": "EV-P10-0007"},
        {"id": "OWN", "kind": "accredited_lab", "name": "calib demo laboratory",
         "accreditation_body": "COFRAC", "accreditation": accreditation("2-9876", 7),
         "cmcs": [cmc("DC voltage", 0, 1000, "V", 2e-6), cmc("AC voltage", 0.001, 1000, "V", 2e-5),
                  cmc("mass", 0.001, 20, "kg", 5e-6), cmc("length", 0.5, 100, "mm", 8e-5),
                  cmc("temperature", 0, 1200, "degC", 0.5), cmc("pressure", 0.1, 70, "MPa", 8e-4),
                  cmc("torque", 5, 500, "N*m", 0.5)]},
    ]  # fmt: skip


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, candidate)
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover


def _point(
    quantity: str, value: float, unit: str, u: float, tol: float | None, error: float | None
) -> dict[str, Any]:
    return {
        "quantity": quantity,
        "value": value,
        "unit": unit,
        "expanded_uncertainty": u,
        "coverage_factor": 2,
        "tolerance": tol,
        "as_found_error": error,
        "as_left_error": None if error is None or tol is None else round(error * 0.1, 12),
    }


def seed_demo(session: Session, context: DemoContext) -> None:
    """Add the demo register, its statements and the out-of-tolerance impact."""
    from traceability.service import impact, record_customer_notification

    as_of, rnd = context.as_of, context.random
    sites = list(session.execute(select(col(Site.code)).order_by(col(Site.id))).scalars())
    instruments: list[dict[str, Any]] = []
    certificates: list[dict[str, Any]] = []
    history: dict[str, list[tuple[dt.date, str]]] = {}
    number = 0
    for std in _STANDARDS:
        instruments.append(
            {
                "id": std.code,
                "description": std.description,
                "manufacturer": std.manufacturer,
                "model": std.model,
                "serial": f"{rnd.randint(1000000, 9999999)}",
                "site": sites[std.site] if std.site < len(sites) else "",
                "role": std.role,
                "status": std.status,
                "calibration_interval_months": std.interval_months,
            }
        )
        for k, days in enumerate(std.days_ago):
            day = as_of - dt.timedelta(days=days)
            number += 1
            code = f"{std.issuer}-{day.year}-{number:04d}"
            points = []
            for quantity, value, unit, u, tol in std.points:
                error = None
                if tol is not None:
                    drift = (k + 1) * 0.25 * tol
                    error = round(drift + rnd.gauss(0, 0.08 * tol), 12)
                    if std.code == "REF-CAL-01" and days == 30 and quantity == "DC voltage":
                        error = 6.2e-5  # found out of tolerance (±35 µV)
                points.append(_point(quantity, value, unit, u, tol, error))
            refs = [{"certificate": _at(history[used], day), "quantity": None} for used in std.uses]
            if std.code == "REF-CAL-01":
                refs = [
                    {"certificate": _at(history["REF-DCV-01"], day), "quantity": "DC voltage"},
                    {"certificate": _at(history["REF-ACV-01"], day), "quantity": "AC voltage"},
                ]
            certificates.append(
                {
                    "id": code,
                    "instrument": std.code,
                    "issuer": std.issuer,
                    "calibrated_on": day.isoformat(),
                    "due": _add_months(day, std.interval_months).isoformat(),
                    "references": [r if r["quantity"] else r["certificate"] for r in refs],
                    "points": points,
                }
            )
            history.setdefault(std.code, []).append((day, code))
    job_certs, customers = _customer_certificates(session, context, history, instruments)
    jobs = {c["id"]: c.pop("_job") for c in job_certs}
    certificates.extend(job_certs)
    certificates.sort(key=lambda c: (c["calibrated_on"], c["id"]))
    events = [
        {"id": "EV-OOT-CAL01", "instrument": "REF-CAL-01", "kind": "out_of_tolerance",
         "on": (as_of - dt.timedelta(days=30)).isoformat(), "quantity": "DC voltage",
         "value": 10, "unit": "V", "error": 6.2e-5, "range_min": 1, "range_max": 11},
        {"id": "EV-CHK-TMP02", "instrument": "REF-TMP-02", "kind": "intermediate_check_failed",
         "on": (as_of - dt.timedelta(days=45)).isoformat(), "quantity": "temperature",
         "value": 1000, "unit": "degC", "error": 3.1},
        {"id": "EV-QUA-TMP02", "instrument": "REF-TMP-02", "kind": "quarantine",
         "on": (as_of - dt.timedelta(days=45)).isoformat()},
        {"id": "EV-CHK-DCV", "instrument": "CHK-DCV-01", "kind": "intermediate_check_passed",
         "on": (as_of - dt.timedelta(days=100)).isoformat(), "quantity": "DC voltage",
         "value": 10, "unit": "V", "error": 4e-6},
    ]  # fmt: skip
    document = RegisterDocument.model_validate(
        {
            "accreditation_bodies": [
                {"id": "COFRAC", "ilac_mra": True, "name": "Comité français d'accréditation"},
                {"id": "BELAC", "ilac_mra": True, "name": "Belgian Accreditation Body"},
                {"id": "NAS", "ilac_mra": False, "name": "Nordic Accreditation Service"},
            ],
            "issuers": _issuers(as_of),
            "instruments": instruments,
            "certificates": certificates,
            "events": events,
            "tur_minimum": 4,
        }
    )
    document.to_register()  # validate before writing
    write_register(
        session,
        context.actor,
        document,
        job_ids=jobs,
        customer_ids=customers,
    )
    _statements(session, context, set(jobs))
    found = impact(session, context.actor, "REF-CAL-01", as_of - dt.timedelta(days=30))
    from traceability.service import impact_items

    items = impact_items(session, context.actor, "REF-CAL-01", as_of - dt.timedelta(days=30))
    pending = [i for i in items if i.customer_notification == "pending"]
    if pending and found.impacted_count:
        record_customer_notification(
            session,
            context.actor,
            int(pending[0].id or 0),
            status="notified",
            on=as_of - dt.timedelta(days=25),
        )


def _at(history: list[tuple[dt.date, str]], day: dt.date) -> str:
    """The certificate of a standard current on ``day`` (the latest calibrated on or before)."""
    chosen = history[0][1]
    for when, code in history:
        if when <= day:
            chosen = code
    return chosen


def _customer_certificates(
    session: Session,
    context: DemoContext,
    history: dict[str, list[tuple[dt.date, str]]],
    instruments: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    as_of, rnd = context.as_of, context.random
    rows = session.execute(
        select(
            col(Job.id),
            col(Job.certificate_number),
            col(Procedure.code),
            col(Job.item_description),
            col(Job.item_serial),
            col(Job.received_on),
            col(Job.customer_id),
        )
        .join(Procedure, col(Procedure.id) == col(Job.procedure_id))
        .where(col(Job.certificate_number).is_not(None))
        .order_by(col(Job.received_on), col(Job.id))
    ).all()
    certificates: list[dict[str, Any]] = []
    customers: dict[str, int] = {}
    quarantined_used = low_tur = long_block = False
    quarantine_day = as_of - dt.timedelta(days=45)
    for job_id, cert_no, procedure, item, serial, received, customer in rows:
        if procedure not in _CUSTOMER or cert_no is None:
            continue
        standard, points, _ = _CUSTOMER[procedure]
        day = received + dt.timedelta(days=1)
        if day > as_of:
            continue
        refs: list[Any] = [_at(history[standard], day)]
        item_text = item
        if procedure == "CP-TMP-01" and day >= quarantine_day:
            if quarantined_used:
                refs = [_at(history["REF-TMP-01"], day)]
            quarantined_used = True
        if procedure == "CP-LEN-01" and not long_block and day > as_of - dt.timedelta(days=100):
            refs.append(_at(history["REF-LEN-02"], day))
            item_text, long_block = "Gauge block set incl. 200 mm long block", True
        shown = []
        for quantity, value, unit, u, tol in points:
            if procedure == "CP-ELE-01" and not low_tur and quantity == "DC voltage":
                tol, item_text, low_tur = 8e-5, "Digital multimeter 8.5 digit", True
            error = round(rnd.gauss(0, 0.3 * tol), 12)
            shown.append(_point(quantity, value, unit, u, tol, error))
        code = f"CUST-{job_id:04d}"
        instruments.append(
            {"id": code, "description": item_text, "serial": serial, "role": "working"}
        )
        customers[code] = customer
        certificates.append(
            {
                "id": cert_no,
                "instrument": code,
                "issuer": "OWN",
                "calibrated_on": day.isoformat(),
                "references": refs,
                "points": shown,
                "_job": job_id,
            }
        )
    return certificates, customers


def _statements(session: Session, context: DemoContext, job_certs: set[str]) -> None:
    """Decision-rule statements (ILAC G8) on the customer points, with the rule used."""
    rules = {procedure: rule for procedure, (_, _, rule) in _CUSTOMER.items()}
    rows = session.execute(
        select(
            col(TracePoint.id),
            col(TracePoint.tolerance),
            col(TracePoint.as_left_error),
            col(TracePoint.as_found_error),
            col(TracePoint.expanded_uncertainty),
            col(TracePoint.coverage_factor),
            col(Procedure.code),
        )
        .join(TraceCertificate, col(TraceCertificate.id) == col(TracePoint.certificate_id))
        .join(Job, col(Job.id) == col(TraceCertificate.job_id))
        .join(Procedure, col(Procedure.id) == col(Job.procedure_id))
        .where(col(TracePoint.tolerance).is_not(None))
        .order_by(col(TracePoint.id))
    ).all()
    statements = []
    for point_id, tol, left, found, u, k, procedure in rows:
        measured = left if left is not None else found
        if measured is None or not tol:
            continue
        s = decide(rules.get(procedure, "simple"), measured, -tol, tol, u, k)
        statements.append(
            {
                "point_id": point_id,
                "rule": s.rule,
                "clause": s.clause,
                "outcome": s.outcome,
                "measured": s.measured,
                "lower_limit": s.lower_limit,
                "upper_limit": s.upper_limit,
                "guard_band": s.guard_band,
                "expanded_uncertainty": s.expanded_uncertainty,
                "tur": s.tur,
                "probability_of_false_accept": s.probability_of_false_accept,
            }
        )
    audited_insert(session, TraceConformityStatement, statements, context.actor)
