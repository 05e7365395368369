"""The bulk check gives exactly the verdicts of the certificate-by-certificate reference.

``check_register`` settles certificates in one pass, skips :func:`local_check` where
memoised partial verdicts show it would find nothing, and builds the common verdict
inline. Here it is compared, finding by finding (codes, messages, evidence, chains),
with :meth:`ChainChecker.verdict` on a checker that always runs the full
:func:`traceability.checks.local_check`, on seeded random registers whose points are
shared between certificates (as the database loader shares them), so that the memos hit.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from traceability.assembly import RegisterRows, register_from_rows
from traceability.chain import ChainChecker, CheckResult, check_register
from traceability.checks import LocalCheck
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
from uncertainty.errors import InvalidInputError

START = date(2021, 1, 1)


class _ReferenceChecker(ChainChecker):
    """Always the full local check: no memoised shortcut."""

    def _clean_local(self, cert: Certificate) -> LocalCheck | None:
        return None


def _issuers() -> list[Issuer]:
    volts = CmcLine("DC voltage", 0, 20, "V", 2e-6, 2)
    ohms = CmcLine("DC resistance", 1, 10_000, "Ω", 5e-6, 2)
    return [
        Issuer("NMI", "nmi", cmcs=(volts, ohms)),
        Issuer(
            "LAB",
            "accredited_lab",
            "MRA",
            Accreditation("L-1", date(2021, 6, 1), date(2023, 6, 30)),
            (CmcLine("DC voltage", 0, 100, "V", 1e-5, 2),),
        ),
        Issuer("NOSCOPE", "accredited_lab", "MRA", Accreditation("L-2", date(2020, 1, 1))),
        Issuer("LOCAL", "accredited_lab", "LOCAL", Accreditation("L-3", date(2020, 1, 1))),
        Issuer("OTHER", "other"),
        Issuer("EVIDENCE", "other", traceability_evidence="EV-1"),
        Issuer("CRM", "crm_producer"),
    ]


def _points(rng: random.Random) -> list[Point]:
    pool = []
    for _ in range(12):
        quantity, unit = rng.choice(
            [("DC voltage", "V"), ("DC voltage", "mV"), ("DC resistance", "Ω")]
        )
        value = rng.choice([0.5, 1.0, 10.0, 50.0, 150.0, -5.0])
        expanded = rng.choice([1e-7, 1e-6, 4e-6, 2e-5, 1e-4, 1e-3])
        tolerance = rng.choice([None, 1e-5, 1e-4, 1e-2])
        pool.append(Point(quantity, value, unit, expanded, rng.choice([1.0, 2.0]), tolerance))
    return pool


def random_register(seed: int, n_instruments: int = 25, shared: bool = True) -> Register:
    """A register with every kind of finding somewhere (shared point objects if ``shared``)."""
    rng = random.Random(seed)
    issuers = _issuers()
    pool = _points(rng)
    instruments = [
        Instrument(f"I{i}", status=rng.choice(["in_service", "in_service", "retired"]))
        for i in range(n_instruments)
    ]
    certificates: list[Certificate] = []
    for i in range(n_instruments):
        day = START + timedelta(days=rng.randrange(0, 200))
        for k in range(rng.randrange(1, 5)):
            refs: tuple[Reference, ...] = ()
            if certificates and rng.random() < 0.8:
                chosen = rng.sample(certificates, min(len(certificates), rng.randrange(1, 3)))
                refs = tuple(
                    Reference(c.id, rng.choice([None, None, "DC voltage", "dc_voltage"]))
                    for c in chosen
                )
            points = tuple(rng.sample(pool, rng.randrange(0, 3)))
            if not shared:
                points = tuple(Point(*(getattr(p, f) for f in _POINT_FIELDS)) for p in points)
            cert_id = f"C{i}-{k}"
            supersedes = (
                rng.choice(certificates).id if certificates and rng.random() < 0.05 else None
            )
            certificates.append(
                Certificate(
                    cert_id,
                    f"I{i}",
                    rng.choice(issuers).id,
                    day,
                    day + timedelta(days=rng.choice([200, 365, 400, 800])),
                    refs,
                    points,
                    supersedes,
                    day + timedelta(days=rng.choice([0, 0, 3])),
                )
            )
            day += timedelta(days=rng.randrange(150, 400))
    # A few cycles: an early certificate names a later one.
    for _ in range(2):
        first, later = rng.sample(range(len(certificates)), 2)
        cert = certificates[first]
        certificates[first] = Certificate(
            cert.id,
            cert.instrument,
            cert.issuer,
            cert.calibrated_on,
            cert.due,
            (*cert.references, Reference(certificates[later].id)),
            cert.points,
            cert.supersedes,
            cert.issued_on,
        )
    events = [
        Event(
            f"I{rng.randrange(n_instruments)}",
            rng.choice(["out_of_tolerance", "quarantine", "returned_to_service", "repair"]),
            START + timedelta(days=rng.randrange(0, 1500)),
        )
        for _ in range(6)
    ]
    return Register(
        accreditation_bodies=[AccreditationBody("MRA", True), AccreditationBody("LOCAL", False)],
        issuers=issuers,
        instruments=instruments,
        certificates=certificates,
        events=events,
        tur_minimum=rng.choice([2.0, 4.0]),
    )


_POINT_FIELDS = (
    "quantity",
    "value",
    "unit",
    "expanded_uncertainty",
    "coverage_factor",
    "tolerance",
    "as_found_error",
    "as_left_error",
)


def _reference(register: Register, as_of: date) -> CheckResult:
    checker = _ReferenceChecker(register)
    return CheckResult(
        as_of,
        tuple(
            checker.verdict(cert_id, as_of)
            for cert_id, cert in register.certificates.items()
            if cert.issued <= as_of
        ),
    )


@pytest.mark.parametrize("seed", range(12))
def test_bulk_check_equals_reference_on_random_registers(seed: int) -> None:
    register = random_register(seed)
    checker = ChainChecker(register)
    codes: set[str] = set()
    for as_of in (date(2022, 6, 1), date(2024, 3, 1), date(2027, 1, 1)):
        fast = check_register(register, as_of, checker=checker)
        assert fast == _reference(register, as_of)
        assert check_register(register, as_of) == fast  # a fresh checker: same
        codes.update(f.code for v in fast.verdicts for f in v.findings)
    # The registers do exercise the findings, not only the clean path.
    assert len(codes) >= 8, sorted(codes)


@pytest.mark.parametrize("seed", range(3))
def test_bulk_check_equals_reference_without_shared_points(seed: int) -> None:
    register = random_register(100 + seed, shared=False)
    as_of = date(2024, 3, 1)
    assert check_register(register, as_of) == _reference(register, as_of)


def test_bulk_check_of_a_subset_in_any_order_equals_reference() -> None:
    register = random_register(7)
    as_of = date(2024, 3, 1)
    wanted = list(register.certificates)[::-3]  # later certificates first
    fast = check_register(register, as_of, certificates=wanted)
    reference = {v.certificate: v for v in _reference(register, as_of).verdicts}
    assert fast.verdicts == tuple(
        reference[c] for c in wanted if register.certificates[c].issued <= as_of
    )


def test_register_from_rows_rebuilds_the_register_the_rows_came_from() -> None:
    register = random_register(3)
    rows = _rows(register, dates_as_text=True)
    rebuilt = register_from_rows(rows)
    assert list(rebuilt.certificates.values()) == list(register.certificates.values())
    assert rebuilt.issuers == register.issuers
    assert rebuilt.instruments == register.instruments
    assert rebuilt.events == tuple(sorted(register.events, key=lambda e: e.on))
    as_of = date(2024, 3, 1)
    assert check_register(rebuilt, as_of) == _reference(register, as_of)


def test_register_from_rows_leaves_drafts_out_and_checks_their_links() -> None:
    register = random_register(4)
    rows = _rows(register, dates_as_text=False)
    certificates = list(rows.certificates)
    # The first certificate becomes a draft: anything naming it is now an unknown link.
    certificates[0] = (*certificates[0][:8], "draft")
    named = {ref.certificate for c in register.certificates.values() for ref in c.references}
    named |= {c.supersedes for c in register.certificates.values()}
    drafted = RegisterRows(**{**_fields(rows), "certificates": certificates})
    first = next(iter(register.certificates))
    if first in named:
        with pytest.raises(InvalidInputError, match="unknown"):
            register_from_rows(drafted)
    else:
        assert first not in register_from_rows(drafted).certificates
    assert first in register_from_rows(drafted, include_drafts=True).certificates


def _fields(rows: RegisterRows) -> dict[str, object]:
    return {name: getattr(rows, name) for name in RegisterRows.__slots__}


def _rows(register: Register, *, dates_as_text: bool) -> RegisterRows:
    """The rows the database would return for ``register`` (SQLite returns text dates)."""

    def day(value: date | None) -> object:
        return value.isoformat() if dates_as_text and value is not None else value

    bodies = {code: n for n, code in enumerate(register.accreditation_bodies, 1)}
    issuers = {code: n for n, code in enumerate(register.issuers, 1)}
    instruments = {code: n for n, code in enumerate(register.instruments, 1)}
    certs = {code: n for n, code in enumerate(register.certificates, 1)}
    return RegisterRows(
        bodies=[(n, b, register.accreditation_bodies[b].ilac_mra, "") for b, n in bodies.items()],
        cmc_lines=[
            (n, c.quantity, c.min, c.max, c.unit, c.expanded_uncertainty, c.coverage_factor)
            for code, n in issuers.items()
            for c in register.issuers[code].cmcs
        ],
        issuers=[
            (
                n,
                i.id,
                i.kind,
                bodies.get(i.accreditation_body or ""),
                i.accreditation.number if i.accreditation else None,
                i.accreditation.valid_from if i.accreditation else None,
                i.accreditation.valid_until if i.accreditation else None,
                i.traceability_evidence,
                i.name,
            )
            for i, n in ((register.issuers[code], n) for code, n in issuers.items())
        ],
        instruments=[
            (
                n,
                i.id,
                i.description,
                i.role,
                i.status,
                i.manufacturer,
                i.model,
                i.serial,
                None,
                i.calibration_interval_months,
            )
            for i, n in ((register.instruments[code], n) for code, n in instruments.items())
        ],
        certificates=[
            (
                n,
                c.id,
                instruments[c.instrument],
                issuers[c.issuer],
                day(c.calibrated_on),
                day(c.due),
                certs[c.supersedes] if c.supersedes else None,
                day(c.issued_on),
                "released",
            )
            for c, n in ((register.certificates[code], n) for code, n in certs.items())
        ],
        points=[
            (certs[c.id], *(getattr(p, f) for f in _POINT_FIELDS))
            for c in register.certificates.values()
            for p in c.points
        ],
        references=[
            (certs[c.id], certs[r.certificate], r.quantity)
            for c in register.certificates.values()
            for r in c.references
        ],
        events=[
            (
                instruments[e.instrument],
                e.kind,
                day(e.on),
                e.quantity,
                e.value,
                e.unit,
                e.error,
                e.range_min,
                e.range_max,
                e.id,
            )
            for e in sorted(register.events, key=lambda e: e.on)
        ],
        tur_minimum=register.tur_minimum,
    )


def test_make_certificate_is_certificate_with_its_checks() -> None:
    values = ("C1", "I1", "NMI", date(2024, 1, 10), date(2025, 1, 10), (), (), None, None)
    made = make_certificate(*values)
    assert made == Certificate(*values)
    assert hash(made) == hash(Certificate(*values))
    assert make_reference("C1", None) == Reference("C1")
    with pytest.raises(InvalidInputError, match="due 2023-01-10 is before") as caught:
        make_certificate(
            "C2", "I1", "NMI", date(2024, 1, 10), date(2023, 1, 10), (), (), None, None
        )
    assert caught.value.field == "due"
    with pytest.raises(InvalidInputError) as caught:
        make_certificate("C3", "I1", "NMI", date(2024, 1, 10), None, (), (), None, date(2024, 1, 1))
    assert caught.value.field == "issued_on"
