"""EA-4/02 table renderers, JSON round trip, public API and distributions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import uncertainty
from uncertainty.budget import evaluate_budget, parse_budget
from uncertainty.distributions import (
    DISTRIBUTIONS,
    Arcsine,
    Constant,
    GaussianCopula,
    MultivariateNormal,
    MultivariateT,
    Normal,
    Rectangular,
    StudentT,
    Triangular,
)
from uncertainty.errors import InvalidInputError
from uncertainty.report import (
    budget_from_json,
    budget_to_json,
    render_html,
    render_markdown,
    render_text,
)
from uncertainty.schema import BudgetDocument, BudgetResultDocument

REFERENCE = Path(__file__).parent.parent / "reference"


@pytest.mark.parametrize(
    "name", ["gum_h1_end_gauge.json", "gum_h2_impedance.json", "ea402_s2_weight.json"]
)
def test_json_export_round_trips(name: str) -> None:
    doc = parse_budget(json.loads((REFERENCE / name).read_text(encoding="utf-8")))
    again = budget_from_json(budget_to_json(doc))
    assert again == doc
    assert budget_to_json(again) == budget_to_json(doc)


def test_result_document_round_trips() -> None:
    result = evaluate_budget(
        json.loads((REFERENCE / "gum_h2_impedance.json").read_text(encoding="utf-8"))
    )
    assert BudgetResultDocument.model_validate_json(result.model_dump_json()) == result


def test_renderers_show_every_row_and_escape_html() -> None:
    doc = json.loads((REFERENCE / "gum_h1_end_gauge.json").read_text(encoding="utf-8"))
    doc["name"] = "<b>gauge</b>"
    result = evaluate_budget(doc)
    text, md, html = render_text(result), render_markdown(result), render_html(result)
    for name in doc["inputs"]:
        assert name in text and name in md and name in html
    assert "Index %" in text and "| Quantity X_i |" in md
    assert "<b>gauge</b>" not in html and "&lt;b&gt;gauge&lt;/b&gt;" in html
    assert result.outputs["l"].statement in text


def test_budget_from_json_rejects_bad_text() -> None:
    with pytest.raises(InvalidInputError, match="not valid JSON"):
        budget_from_json("{")


def test_public_api_is_declared() -> None:
    """STYLE.md rule 6: __all__ lists exactly the public names, each importable."""
    for name in uncertainty.__all__:
        assert getattr(uncertainty, name) is not None
    assert {"evaluate_budget", "BudgetDocument", "Distribution", "parse_model"} <= set(
        uncertainty.__all__
    )
    assert uncertainty.BudgetDocument is BudgetDocument


def test_distribution_table_and_moments() -> None:
    """JCGM 101:2008 6.4: standard deviations a/√3, a/√6, a/√2; t: s·√(ν/(ν−2))."""
    assert set(DISTRIBUTIONS) == {
        "normal",
        "rectangular",
        "triangular",
        "arcsine",
        "student_t",
        "constant",
    }
    rng = np.random.default_rng(12345)
    cases = [
        Normal(1, 2),
        Rectangular(0, 3),
        Triangular(0, 3),
        Arcsine(0, 3),
        StudentT(0, 1, 6),
        Constant(4),
    ]
    for dist in cases:
        x = dist.sample(rng, 200_000)
        assert x.mean() == pytest.approx(dist.mean, abs=0.02)
        assert x.std() == pytest.approx(dist.standard_uncertainty, rel=0.02, abs=1e-12)
        p = np.array([0.1, 0.5, 0.9])
        assert np.quantile(x, p) == pytest.approx(dist.ppf(p), abs=0.05)
    assert StudentT(0, 1, 6).standard_uncertainty == pytest.approx(np.sqrt(1.5))
    assert StudentT.from_standard_deviation(0, 1, 6).scale == pytest.approx(np.sqrt(4 / 6))


def test_distribution_parameters_validated() -> None:
    for bad in (
        lambda: Rectangular(0, 0),
        lambda: Triangular(0, -1),
        lambda: Arcsine(0, float("nan")),
        lambda: Normal(0, -1),
        lambda: StudentT(0, 1, 0),
        lambda: StudentT.from_standard_deviation(0, 1, 2),
    ):
        with pytest.raises(InvalidInputError):
            bad()


def test_joint_distributions() -> None:
    rng = np.random.default_rng(2)
    cov = np.array([[1.0, 0.6], [0.6, 2.0]])
    x = MultivariateNormal(["a", "b"], [1.0, 2.0], cov).sample(rng, 200_000)
    assert x.shape == (2, 200_000)
    assert np.cov(x) == pytest.approx(cov, abs=0.03)
    t = MultivariateT(["a", "b"], [0.0, 0.0], cov, 10).sample(rng, 200_000)
    assert np.cov(t) == pytest.approx(cov * 10 / 8, abs=0.05)  # JCGM 102 6.5.3
    g = GaussianCopula(["a", "b"], [Rectangular(0, 1), Normal(0, 1)], [[1, 0.5], [0.5, 1]])
    y = g.sample(rng, 100_000)
    assert abs(y[0]).max() <= 1.0
    assert np.corrcoef(y)[0, 1] == pytest.approx(0.5, abs=0.05)  # approximation, close to r
    with pytest.raises(InvalidInputError, match="positive semi-definite"):
        MultivariateNormal(["a", "b"], [0, 0], [[1, 2], [2, 1]])
