"""Benchmark of the traceability engine on synthetic registers (issue 4, "Scale").

A register of N certificates: N/5 instruments, each calibrated five times a year apart,
arranged in six levels (chains up to depth 6): one NMI-calibrated top standard, then
accredited-lab and in-house levels whose certificates reference the certificate of an
instrument one level up that was current on the day. Timed, in memory:

* building the ``Register`` (validation and indexes),
* ``check_register`` of every certificate at one date,
* ``impact_analysis`` of one top-level standard found out of tolerance.

Usage: ``python benchmarks/bench_trace.py [--sizes 10000 100000 1000000] [--seed 1]``.
The issue's targets (< 10 s check, < 2 s impact for 500k certificates) are for the
database path; the engine must be comfortably faster.

Database path: ``--database sqlite:////tmp/bench.sqlite`` (or a PostgreSQL URL; the
schema is migrated, the trace tables emptied) bulk-inserts the same register (SQLite
``executemany``, PostgreSQL ``COPY``), then times, as ``calib trace check`` does without
a FILE, in a fresh process: loading the register from the database with
:func:`calib.trace_store.load_register_from_db` plus the check of every certificate,
and the impact query on the loaded register (the service keeps it cached). CPU and
wall times are printed, with the highest 1-minute load average seen around the run
(the machine is shared).
"""

from __future__ import annotations

import argparse
import bisect
import gc
import json
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from traceability.chain import check_register
from traceability.impact import impact_analysis
from traceability.register import (
    Accreditation,
    AccreditationBody,
    Certificate,
    CmcLine,
    Instrument,
    Issuer,
    Point,
    Reference,
    Register,
)

CALIBRATIONS_PER_INSTRUMENT = 5
LEVEL_SHARES = (0.0, 0.002, 0.02, 0.1, 0.3)  # levels 0..4; level 5 takes the rest
START = date(2020, 1, 1)


def make_register(n_certificates: int, rng: np.random.Generator) -> tuple[Register, str]:
    """A synthetic register of about ``n_certificates`` certificates; returns it and the top id."""
    n_instruments = max(n_certificates // CALIBRATIONS_PER_INSTRUMENT, 10)
    counts = [1] + [max(int(share * n_instruments), 2) for share in LEVEL_SHARES[1:]]
    counts.append(max(n_instruments - sum(counts), 2))
    issuers = [
        Issuer("NMI", "nmi", cmcs=(CmcLine("DC voltage", 0, 1000, "V", 1e-7, 2),)),
        Issuer(
            "LAB",
            "accredited_lab",
            "AB",
            Accreditation("D-K-1", date(2000, 1, 1)),
            (CmcLine("DC voltage", 0, 1000, "V", 1e-6, 2),),
        ),
        Issuer(
            "OWN",
            "accredited_lab",
            "AB",
            Accreditation("D-K-2", date(2000, 1, 1)),
            (CmcLine("DC voltage", 0, 1000, "V", 1e-6, 2),),
        ),
    ]
    instruments: list[Instrument] = []
    certificates: list[Certificate] = []
    previous: list[tuple[list[str], list[list[date]], list[list[str]]]] = []
    for level, count in enumerate(counts):
        names = [f"L{level}-I{i}" for i in range(count)]
        dates: list[list[date]] = []
        ids: list[list[str]] = []
        issuer = "NMI" if level == 0 else "LAB" if level == 1 else "OWN"
        u = 1e-6 * 3**level
        point = Point("DC voltage", 10.0, "V", u, 2.0, tolerance=10 * u)
        offsets = rng.integers(0, 30, size=count) + 40 * level
        parents = (
            rng.integers(0, len(previous[-1][0]), size=(count, CALIBRATIONS_PER_INSTRUMENT))
            if previous
            else None
        )
        for i, name in enumerate(names):
            instruments.append(Instrument(name, role="reference" if level < 5 else "working"))
            my_dates: list[date] = []
            my_ids: list[str] = []
            for k in range(CALIBRATIONS_PER_INSTRUMENT):
                day = START + timedelta(days=int(offsets[i]) + 365 * k)
                refs: tuple[Reference, ...] = ()
                if parents is not None:
                    _, parent_dates, parent_ids = previous[-1]
                    j = int(parents[i, k])
                    index = max(bisect.bisect_right(parent_dates[j], day) - 1, 0)
                    refs = (Reference(parent_ids[j][index]),)
                cert_id = f"{name}-C{k}"
                certificates.append(
                    Certificate(
                        cert_id,
                        name,
                        issuer,
                        day,
                        day + timedelta(days=400),
                        refs,
                        (point,),
                    )
                )
                my_dates.append(day)
                my_ids.append(cert_id)
            dates.append(my_dates)
            ids.append(my_ids)
        previous.append((names, dates, ids))
    register = Register(
        accreditation_bodies=[AccreditationBody("AB", True)],
        issuers=issuers,
        instruments=instruments,
        certificates=certificates,
    )
    return register, "L0-I0"


def run(n_certificates: int, seed: int) -> dict[str, float]:
    """Time the build, the full check and the impact query for one size."""
    rng = np.random.default_rng(seed)
    t0, c0 = time.perf_counter(), time.process_time()
    register, top = make_register(n_certificates, rng)
    # The register is long-lived: move it out of the cyclic GC's generations, as a
    # service holding a loaded register would (otherwise full collections rescan it).
    gc.collect()
    gc.freeze()
    t1, c1 = time.perf_counter(), time.process_time()
    as_of = START + timedelta(days=365 * 4 + 300)  # after the last calibration: all listed
    result = check_register(register, as_of)
    t2, c2 = time.perf_counter(), time.process_time()
    found_on = START + timedelta(days=365 * 3 + 100)
    impact = impact_analysis(register, top, found_on)
    t3, c3 = time.perf_counter(), time.process_time()
    return {
        "check_cpu_s": c2 - c1,
        "impact_cpu_s": c3 - c2,
        "build_cpu_s": c1 - c0,
        "certificates": len(register.certificates),
        "instruments": len(register.instruments),
        "build_s": t1 - t0,
        "checked": len(result.verdicts),
        "not_traceable": result.not_traceable,
        "check_s": t2 - t1,
        "affected": len(impact.affected),
        "impact_s": t3 - t2,
    }


_TABLES = (
    "trace_reference",
    "trace_point",
    "trace_impact_item",
    "trace_certificate",
    "trace_event",
    "trace_instrument",
    "trace_cmc_line",
    "trace_issuer",
    "trace_accreditation_body",
    "trace_policy",
)


def _rows(register: Register) -> dict[str, tuple[list[str], list[tuple[object, ...]]]]:
    """Column names and row tuples of every trace table for ``register`` (explicit ids)."""
    bodies = {b.id: n for n, b in enumerate(register.accreditation_bodies.values(), 1)}
    issuers = {i.id: n for n, i in enumerate(register.issuers.values(), 1)}
    instruments = {i.id: n for n, i in enumerate(register.instruments.values(), 1)}
    certs = {c: n for n, c in enumerate(register.certificates, 1)}
    out: dict[str, tuple[list[str], list[tuple[object, ...]]]] = {}
    out["trace_accreditation_body"] = (
        ["id", "code", "name", "ilac_mra"],
        [(n, b, "", register.accreditation_bodies[b].ilac_mra) for b, n in bodies.items()],
    )
    issuer_rows, cmc_rows = [], []
    for code, n in issuers.items():
        i = register.issuers[code]
        acc = i.accreditation
        issuer_rows.append(
            (n, code, "", i.kind, bodies.get(i.accreditation_body or ""),
             acc.number if acc else None, acc.valid_from if acc else None,
             acc.valid_until if acc else None, i.traceability_evidence)
        )  # fmt: skip
        for j, c in enumerate(i.cmcs):
            cmc_rows.append(
                (len(cmc_rows) + 1, n, j, c.quantity, c.min, c.max, c.unit,
                 c.expanded_uncertainty, c.coverage_factor)
            )  # fmt: skip
    out["trace_issuer"] = (
        ["id", "code", "name", "kind", "accreditation_body_id", "accreditation_number",
         "accreditation_valid_from", "accreditation_valid_until", "traceability_evidence"],
        issuer_rows,
    )  # fmt: skip
    out["trace_cmc_line"] = (
        ["id", "issuer_id", "position", "quantity", "range_min", "range_max", "unit",
         "expanded_uncertainty", "coverage_factor"],
        cmc_rows,
    )  # fmt: skip
    out["trace_instrument"] = (
        ["id", "code", "description", "manufacturer", "model", "serial", "role", "status"],
        [(n, code, "", "", "", "", register.instruments[code].role, "in_service")
         for code, n in instruments.items()],
    )  # fmt: skip
    cert_rows, point_rows, ref_rows = [], [], []
    for code, n in certs.items():
        c = register.certificates[code]
        cert_rows.append(
            (n, code, instruments[c.instrument], issuers[c.issuer], c.calibrated_on, c.due,
             "released")
        )  # fmt: skip
        for j, p in enumerate(c.points):
            point_rows.append(
                (len(point_rows) + 1, n, j, p.quantity, p.value, p.unit,
                 p.expanded_uncertainty, p.coverage_factor, p.tolerance, p.as_found_error,
                 p.as_left_error)
            )  # fmt: skip
        for j, r in enumerate(c.references):
            ref_rows.append((len(ref_rows) + 1, n, certs[r.certificate], j, r.quantity))
    out["trace_certificate"] = (
        ["id", "code", "instrument_id", "issuer_id", "calibrated_on", "due_on", "status"],
        cert_rows,
    )
    out["trace_point"] = (
        ["id", "certificate_id", "position", "quantity", "value", "unit",
         "expanded_uncertainty", "coverage_factor", "tolerance", "as_found_error",
         "as_left_error"],
        point_rows,
    )  # fmt: skip
    out["trace_reference"] = (
        ["id", "certificate_id", "reference_certificate_id", "position", "quantity"],
        ref_rows,
    )
    out["trace_policy"] = (["id", "tur_minimum"], [(1, register.tur_minimum)])
    return out


def store(register: Register, url: str) -> float:
    """Migrate ``url``, empty the trace tables and bulk-insert ``register``; seconds taken."""
    from sqlalchemy.engine import make_url

    from calib.db import make_engine, upgrade

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        for suffix in ("", "-wal", "-shm"):  # a fresh file: emptying 10^5 rows is slower
            Path(parsed.database + suffix).unlink(missing_ok=True)
    engine = make_engine(url)
    upgrade(engine)
    t0 = time.perf_counter()
    rows = _rows(register)
    order = [t for t in reversed(_TABLES) if t in rows]
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(_TABLES)} CASCADE")
        for table in order:
            columns, values = rows[table]
            if engine.dialect.name == "postgresql":
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                    for value in values:
                        copy.write_row(value)
            else:
                marks = ", ".join("?" for _ in columns)
                cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", values
                )
        if engine.dialect.name == "postgresql":
            for table in order:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
                cursor.execute(f"ANALYZE {table}")
        raw.commit()
    finally:
        raw.close()
    engine.dispose()
    return time.perf_counter() - t0


def run_database(n_certificates: int, seed: int, url: str) -> dict[str, float]:
    """Store the register in the database, then time load + check and impact from it.

    The timing runs in a fresh process (:func:`measure_database`), as ``calib trace
    check`` does: the heap of the process that built and inserted the register would
    otherwise slow every allocation of the load.
    """
    rng = np.random.default_rng(seed)
    register, top = make_register(n_certificates, rng)
    insert_s = store(register, url)
    del register
    gc.collect()
    load_before = os.getloadavg()[0]
    # The child imports the very packages this process imported (a worktree, not the
    # installed copy).
    root = str(Path(check_register.__code__.co_filename).parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run(
        [sys.executable, __file__, "--measure", url, "--top", top],
        check=True,
        env=env,
        capture_output=True,
        text=True,
    ).stdout
    row: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    row["insert_s"] = insert_s
    row["loadavg"] = max(load_before, os.getloadavg()[0])
    return row


def measure_database(url: str, top: str) -> dict[str, float]:
    """Load the register from ``url`` and check every certificate; then the impact query."""
    from sqlmodel import Session

    from calib.db import make_engine
    from calib.trace_store import load_register_from_db

    engine = make_engine(url)
    as_of = START + timedelta(days=365 * 4 + 300)
    found_on = START + timedelta(days=365 * 3 + 100)
    t0, c0 = time.perf_counter(), time.process_time()
    gc.disable()
    with Session(engine) as session:
        loaded = load_register_from_db(session)
    t1, _c1 = time.perf_counter(), time.process_time()
    result = check_register(loaded, as_of)
    t2, c2 = time.perf_counter(), time.process_time()
    impact = impact_analysis(loaded, top, found_on)
    t3, c3 = time.perf_counter(), time.process_time()
    gc.enable()
    engine.dispose()
    return {
        "certificates": len(loaded.certificates),
        "load_s": t1 - t0,
        "check_s": t2 - t1,
        "total_s": t2 - t0,
        "total_cpu_s": c2 - c0,
        "not_traceable": result.not_traceable,
        "affected": len(impact.affected),
        "impact_s": t3 - t2,
        "impact_cpu_s": c3 - c2,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 500_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", help="SQLAlchemy URL: time the database path instead")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # the timed child process
    parser.add_argument("--top", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure_database(args.measure, args.top)))
        return
    if args.database:
        print(
            f"{'certificates':>12} {'insert s':>8} {'load s':>8} {'check s':>8} "
            f"{'load+check':>10} {'(CPU)':>7} {'not trace.':>10} {'affected':>8} {'impact s':>8} "
            f"{'(CPU)':>7} {'loadavg':>7}"
        )
        for size in args.sizes:
            row = run_database(size, args.seed, args.database)
            print(
                f"{row['certificates']:>12,.0f} {row['insert_s']:>8.2f} {row['load_s']:>8.2f} "
                f"{row['check_s']:>8.2f} {row['total_s']:>10.2f} {row['total_cpu_s']:>7.2f} "
                f"{row['not_traceable']:>10,.0f} {row['affected']:>8,.0f} {row['impact_s']:>8.2f} "
                f"{row['impact_cpu_s']:>7.2f} {row['loadavg']:>7.1f}",
                flush=True,
            )
            gc.collect()
        return
    print(
        f"{'certificates':>12} {'instruments':>11} {'build s':>8} {'checked':>8} "
        f"{'not trace.':>10} {'check s':>8} {'affected':>8} {'impact s':>8}   (CPU s: build/check/impact)"
    )
    for size in args.sizes:
        row = run(size, args.seed)
        gc.unfreeze()
        print(
            f"{row['certificates']:>12,.0f} {row['instruments']:>11,.0f} {row['build_s']:>8.2f} "
            f"{row['checked']:>8,.0f} {row['not_traceable']:>10,.0f} {row['check_s']:>8.2f} "
            f"{row['affected']:>8,.0f} {row['impact_s']:>8.2f}   "
            f"({row['build_cpu_s']:.2f}/{row['check_cpu_s']:.2f}/{row['impact_cpu_s']:.2f})",
            flush=True,
        )
        gc.collect()


if __name__ == "__main__":
    main()
