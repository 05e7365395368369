"""GUM (JCGM 100) uncertainty budgets, Monte Carlo (JCGM 101), calibration curves.

Public API of the budget engine (the Monte Carlo and curve modules are imported from
``uncertainty.montecarlo`` and ``uncertainty.curves`` directly).

The names are loaded on first use (``uncertainty.errors`` and ``uncertainty.units`` are
imported by every calib command; the engine is imported only by those that need it, so
that the CLI starts fast). Type checkers see the explicit imports below.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from uncertainty.budget import (
        CompiledBudget,
        ManyResult,
        compile_budget,
        evaluate_budget,
        evaluate_many,
        parse_budget,
    )
    from uncertainty.distributions import (
        DISTRIBUTIONS,
        Arcsine,
        Constant,
        Distribution,
        GaussianCopula,
        JointDistribution,
        MultivariateNormal,
        MultivariateT,
        Normal,
        Rectangular,
        StudentT,
        Triangular,
    )
    from uncertainty.gum import combine, coverage_factor, output_covariance, welch_satterthwaite
    from uncertainty.inputs import InputQuantity, InputSet, build_inputs, student_t_quantile
    from uncertainty.model import CompiledModel, ParsedModel, compile_model, parse_model
    from uncertainty.report import (
        budget_from_json,
        budget_to_json,
        render_html,
        render_markdown,
        render_text,
    )
    from uncertainty.rounding import result_statement, round_uncertainty
    from uncertainty.schema import BudgetDocument, BudgetResultDocument

__all__ = [
    "DISTRIBUTIONS",
    "Arcsine",
    "BudgetDocument",
    "BudgetResultDocument",
    "CompiledBudget",
    "CompiledModel",
    "Constant",
    "Distribution",
    "GaussianCopula",
    "InputQuantity",
    "InputSet",
    "JointDistribution",
    "ManyResult",
    "MultivariateNormal",
    "MultivariateT",
    "Normal",
    "ParsedModel",
    "Rectangular",
    "StudentT",
    "Triangular",
    "budget_from_json",
    "budget_to_json",
    "build_inputs",
    "combine",
    "compile_budget",
    "compile_model",
    "coverage_factor",
    "evaluate_budget",
    "evaluate_many",
    "output_covariance",
    "parse_budget",
    "parse_model",
    "render_html",
    "render_markdown",
    "render_text",
    "result_statement",
    "round_uncertainty",
    "student_t_quantile",
    "welch_satterthwaite",
]

_LAZY: dict[str, str] = {
    "Arcsine": "uncertainty.distributions",
    "BudgetDocument": "uncertainty.schema",
    "BudgetResultDocument": "uncertainty.schema",
    "CompiledBudget": "uncertainty.budget",
    "CompiledModel": "uncertainty.model",
    "Constant": "uncertainty.distributions",
    "DISTRIBUTIONS": "uncertainty.distributions",
    "Distribution": "uncertainty.distributions",
    "GaussianCopula": "uncertainty.distributions",
    "InputQuantity": "uncertainty.inputs",
    "InputSet": "uncertainty.inputs",
    "JointDistribution": "uncertainty.distributions",
    "ManyResult": "uncertainty.budget",
    "MultivariateNormal": "uncertainty.distributions",
    "MultivariateT": "uncertainty.distributions",
    "Normal": "uncertainty.distributions",
    "ParsedModel": "uncertainty.model",
    "Rectangular": "uncertainty.distributions",
    "StudentT": "uncertainty.distributions",
    "Triangular": "uncertainty.distributions",
    "budget_from_json": "uncertainty.report",
    "budget_to_json": "uncertainty.report",
    "build_inputs": "uncertainty.inputs",
    "combine": "uncertainty.gum",
    "compile_budget": "uncertainty.budget",
    "compile_model": "uncertainty.model",
    "coverage_factor": "uncertainty.gum",
    "evaluate_budget": "uncertainty.budget",
    "evaluate_many": "uncertainty.budget",
    "output_covariance": "uncertainty.gum",
    "parse_budget": "uncertainty.budget",
    "parse_model": "uncertainty.model",
    "render_html": "uncertainty.report",
    "render_markdown": "uncertainty.report",
    "render_text": "uncertainty.report",
    "result_statement": "uncertainty.rounding",
    "round_uncertainty": "uncertainty.rounding",
    "student_t_quantile": "uncertainty.inputs",
    "welch_satterthwaite": "uncertainty.gum",
}


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'uncertainty' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
