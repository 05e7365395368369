"""Benchmark: scoring 100 000 results and Algorithm A on 100 000 values, calib vs pt13528.

Run: ``.venv/bin/python benchmarks/bench_ilc.py``. pt13528 scores one result per call
(its public API is scalar), so its scoring time is measured on the same 100 000
results in a Python loop; its Algorithm A is vectorised like ours. Ratios > 1 mean
calib is faster. No timed assertions live in the test suite (house rule).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from ilc import algorithm_a, evaluate_round

N = 100_000


def best_of(func: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    rng = np.random.default_rng(20261123)
    x = rng.normal(10.0, 0.5, N)
    x[:500] += rng.normal(0, 5.0, 500)  # some outliers
    big_u = rng.uniform(0.05, 1.0, N)
    k = rng.choice([1.73, 2.0, 2.13, 2.45], N)
    names = [f"L{i:06d}" for i in range(N)]
    x_pt, big_u_pt, sigma_pt = 10.0, 0.2, 0.5

    def calib_scores() -> object:
        return evaluate_round(
            names,
            x,
            big_u,
            k,
            method="reference",
            reference_value=x_pt,
            reference_expanded_uncertainty=big_u_pt,
            reference_coverage_factor=2.0,
            sigma_pt=sigma_pt,
        )

    def calib_algorithm_a() -> object:
        return algorithm_a(x)

    rows = [
        ("score 100k results (En, zeta, z, z', verdicts)", best_of(calib_scores)),
        ("Algorithm A on 100k values", best_of(calib_algorithm_a)),
    ]
    try:
        from pt13528 import robust as pt_robust
        from pt13528 import scores as pt_scores
    except ImportError:
        for label, t in rows:
            print(f"{label:<50} calib {t * 1e3:9.1f} ms   (pt13528 not installed)")
        return

    def pt_score_all() -> object:
        u_pt = big_u_pt / 2
        out = []
        for xi, ui, ki in zip(x.tolist(), big_u.tolist(), k.tolist(), strict=True):
            en = pt_scores.en_score(xi, x_pt, ui, big_u_pt)
            zeta = pt_scores.zeta_score(xi, x_pt, ui / ki, u_pt)
            z = pt_scores.z_score(xi, x_pt, sigma_pt)
            zp = pt_scores.z_prime_score(xi, x_pt, sigma_pt, u_pt)
            out.append(
                (pt_scores.classify_en(en), pt_scores.classify_z(z), pt_scores.classify_z(zeta), zp)
            )
        return out

    def pt_algorithm_a() -> object:
        return pt_robust.algorithm_a(x)

    theirs = [best_of(pt_score_all, repeat=1), best_of(pt_algorithm_a)]
    print(f"{'task':<50} {'calib':>10} {'pt13528':>10} {'ratio':>8}")
    for (label, ours), other in zip(rows, theirs, strict=True):
        print(f"{label:<50} {ours * 1e3:8.1f}ms {other * 1e3:8.1f}ms {other / ours:7.1f}x")


if __name__ == "__main__":
    main()
