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
"""

from __future__ import annotations

import argparse
import bisect
import gc
import time
from datetime import date, timedelta

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 500_000])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
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
