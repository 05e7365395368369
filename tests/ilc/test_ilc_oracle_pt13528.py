"""Cross-checks against the pt13528 package (an independent ISO 13528:2022 implementation).

pt13528 is only a test oracle (extra `bench`); the tests are skipped without it.
"""

from __future__ import annotations

import numpy as np
import pytest

from ilc import (
    algorithm_a,
    classify_z,
    en_score,
    evaluate_round,
    homogeneity_check,
    made,
    niqr,
    z_prime_score,
    zeta_score,
)

pt_robust = pytest.importorskip("pt13528.robust")
pt_scores = pytest.importorskip("pt13528.scores")
pt_homogeneity = pytest.importorskip("pt13528.homogeneity")


@pytest.mark.parametrize("seed", range(8))
def test_algorithm_a_matches_pt13528(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(50.0, 2.0, 40), rng.normal(70.0, 5.0, 4)])
    ours = algorithm_a(x, tol=1e-12)
    theirs = pt_robust.algorithm_a(x, tol=1e-12)
    assert ours.mean == pytest.approx(theirs.location, rel=1e-9)
    assert ours.sd == pytest.approx(theirs.scale, rel=1e-9)
    iso = algorithm_a(x, stopping="iso2022")
    theirs_iso = pt_robust.algorithm_a(x, tol="iso2022")
    assert iso.mean == pytest.approx(theirs_iso.location, rel=1e-12)
    assert iso.sd == pytest.approx(theirs_iso.scale, rel=1e-12)
    assert niqr(x) == pytest.approx(pt_robust.niqr(x), rel=1e-12)
    assert made(x) == pytest.approx(pt_robust.made(x), rel=1e-12)


def test_scores_match_pt13528() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(10.0, 1.0, 200)
    big_u = rng.uniform(0.1, 2.0, 200)
    k = rng.choice([1.73, 2.0, 2.45], 200)
    x_pt, big_u_pt, sigma = 10.1, 0.3, 0.9
    en = en_score(x, x_pt, big_u, big_u_pt)
    zeta = zeta_score(x, x_pt, big_u / k, big_u_pt / 2)
    zp = z_prime_score(x, x_pt, sigma, big_u_pt / 2)
    for i in range(x.size):
        assert en[i] == pytest.approx(pt_scores.en_score(x[i], x_pt, big_u[i], big_u_pt), rel=1e-12)
        assert zeta[i] == pytest.approx(
            pt_scores.zeta_score(x[i], x_pt, big_u[i] / k[i], big_u_pt / 2), rel=1e-12
        )
        assert zp[i] == pytest.approx(
            pt_scores.z_prime_score(x[i], x_pt, sigma, big_u_pt / 2), rel=1e-12
        )
    words = {"acceptable": "satisfactory", "warning": "questionable", "action": "unsatisfactory"}
    assert classify_z(zp) == [words[pt_scores.classify_z(float(v))] for v in zp]


def test_round_with_robust_assigned_value_matches_pt13528() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(5.0, 0.2, 60)
    scores = evaluate_round(
        [f"L{i}" for i in range(60)], x, [np.nan] * 60, [np.nan] * 60, method="robust"
    )
    theirs = pt_robust.algorithm_a(x)
    assert scores.assigned.value == pytest.approx(theirs.location, rel=1e-8)
    np.testing.assert_allclose(scores.z, (x - theirs.location) / theirs.scale, rtol=1e-6)


def test_homogeneity_matches_pt13528() -> None:
    rng = np.random.default_rng(11)
    samples = rng.normal(1.0, 0.01, (12, 2)) + rng.normal(0, 0.005, (12, 1))
    ours = homogeneity_check(samples, sigma_pt=0.05)
    theirs = pt_homogeneity.homogeneity(samples.tolist(), sigma_pt=0.05)
    assert ours.s_s == pytest.approx(theirs.s_s, rel=1e-10)
    assert ours.s_w == pytest.approx(theirs.s_w, rel=1e-10)
    assert ours.expanded_criterion == pytest.approx(theirs.expanded_criterion, rel=1e-10)
