"""The budget documents of CONTRACTS.md section 1 (``calib budget evaluate``).

``BudgetDocument`` is the input (unknown fields are an error); ``BudgetResultDocument`` is
the output. Field names follow the contract exactly; extra output fields are additions.
Cross-field rules that need the measurement model (exactly one uncertainty form per
input, units, names) are checked in ``uncertainty.inputs`` and ``uncertainty.model``
with errors naming ``inputs.<name>.<field>``.

References
----------
JCGM 100:2008 5.2 (correlations), 7.2 (reporting); JCGM 101:2008 7.7, 8.2.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "BudgetDocument",
    "BudgetResultDocument",
    "ConstantSpec",
    "ContributionResult",
    "CorrelationSpec",
    "GufValidationResult",
    "InputSpec",
    "MonteCarloResult",
    "MonteCarloSpec",
    "OutputResult",
    "OutputSpec",
]

DistributionName = Literal[
    "normal", "rectangular", "triangular", "arcsine", "student_t", "constant"
]

_STRICT = ConfigDict(extra="forbid", allow_inf_nan=False)


class InputSpec(BaseModel):
    """One input quantity: value, unit and exactly one way of stating its uncertainty."""

    model_config = _STRICT

    value: float | None = None
    unit: str = ""
    description: str | None = None
    distribution: DistributionName | None = None
    standard_uncertainty: float | None = None
    expanded_uncertainty: float | None = None
    coverage_factor: float | None = None
    coverage_probability: float | None = None
    dof: float | None = None
    half_width: float | None = None
    limits: tuple[float, float] | None = None
    scale: float | None = None
    observations: list[float] | None = None


class ConstantSpec(BaseModel):
    """A named exact value with its unit (e.g. a reference temperature)."""

    model_config = _STRICT

    value: float
    unit: str = ""
    description: str | None = None


class OutputSpec(BaseModel):
    """An output to report, optionally in a given unit."""

    model_config = _STRICT

    unit: str | None = None


class CorrelationSpec(BaseModel):
    """Correlation coefficient r(x_a, x_b) (JCGM 100:2008 5.2.2)."""

    model_config = _STRICT

    inputs: tuple[str, str]
    coefficient: float = Field(ge=-1.0, le=1.0)


class MonteCarloSpec(BaseModel):
    """Monte Carlo request: fixed ``trials`` or the adaptive procedure (JCGM 101:2008 7.9)."""

    model_config = _STRICT

    trials: int | None = Field(default=None, ge=100, le=100_000_000)
    seed: int | None = Field(default=None, ge=0)
    adaptive: bool = False
    significant_digits: int = Field(default=2, ge=1, le=4)


class BudgetDocument(BaseModel):
    """Input of ``calib budget evaluate`` (CONTRACTS.md section 1)."""

    model_config = _STRICT

    name: str = ""
    description: str | None = None
    model: str | list[str]
    outputs: dict[str, OutputSpec] | None = None
    inputs: dict[str, InputSpec] = Field(min_length=1)
    constants: dict[str, ConstantSpec] = Field(default_factory=dict)
    correlations: list[CorrelationSpec] = Field(default_factory=list)
    observation_groups: list[list[str]] = Field(default_factory=list)
    coverage_probability: float = Field(default=0.9545, gt=0.0, lt=1.0)
    coverage_factor: float | None = Field(default=None, gt=0.0)
    monte_carlo: MonteCarloSpec | None = None

    @field_validator("model")
    @classmethod
    def _model_not_empty(cls, value: str | list[str]) -> str | list[str]:
        if (isinstance(value, str) and not value.strip()) or (
            isinstance(value, list) and not value
        ):
            raise ValueError("the model needs at least one equation 'name = expression'")
        return value

    @model_validator(mode="after")
    def _correlations_valid(self) -> BudgetDocument:
        """Names known, no self/duplicate pairs, and the set positive semi-definite."""
        names: list[str] = []
        seen: set[frozenset[str]] = set()
        for index, corr in enumerate(self.correlations):
            a, b = corr.inputs
            for name in (a, b):
                if name not in self.inputs:
                    raise ValueError(
                        f"correlations[{index}]: unknown input {name!r} (inputs: "
                        f"{', '.join(self.inputs)})"
                    )
            if a == b:
                raise ValueError(
                    f"correlations[{index}]: an input cannot be correlated with itself"
                )
            pair = frozenset((a, b))
            if pair in seen:
                raise ValueError(f"correlations[{index}]: pair {a!r}, {b!r} given twice")
            seen.add(pair)
            names.extend(n for n in (a, b) if n not in names)
        if names:
            matrix = np.eye(len(names))
            for corr in self.correlations:
                i, j = names.index(corr.inputs[0]), names.index(corr.inputs[1])
                matrix[i, j] = matrix[j, i] = corr.coefficient
            smallest = float(np.linalg.eigvalsh(matrix).min())
            if smallest < -1e-10:
                raise ValueError(
                    "correlations: the correlation matrix is not positive semi-definite "
                    f"(smallest eigenvalue {smallest:.3g}); these coefficients cannot all hold "
                    "at once"
                )
        grouped: set[str] = set()
        for index, group in enumerate(self.observation_groups):
            if len(group) < 2:
                raise ValueError(f"observation_groups[{index}] needs at least two inputs")
            for name in group:
                if name not in self.inputs:
                    raise ValueError(f"observation_groups[{index}]: unknown input {name!r}")
                if name in grouped:
                    raise ValueError(f"observation_groups[{index}]: {name!r} is in two groups")
                grouped.add(name)
        return self


class ContributionResult(BaseModel):
    """One row of the EA-4/02 budget table for one output."""

    input: str
    estimate: float | None = None
    sensitivity: float
    sensitivity_unit: str
    standard_uncertainty: float
    unit: str
    contribution: float
    dof: float | None
    percent: float
    distribution: str = ""
    description: str | None = None


class GufValidationResult(BaseModel):
    """GUF validated against Monte Carlo (JCGM 101:2008 8.2)."""

    significant_digits: int
    delta: float
    d_low: float
    d_high: float
    validated: bool


class MonteCarloResult(BaseModel):
    """Monte Carlo summary for one output (JCGM 101:2008 7.6, 7.7)."""

    trials: int
    seed: int | None
    mean: float
    standard_uncertainty: float
    interval: tuple[float, float]
    shortest_interval: tuple[float, float]
    validation: GufValidationResult | None = None
    histogram: dict[str, list[float]] | None = None


class OutputResult(BaseModel):
    """GUF result for one output quantity (JCGM 100:2008 5, 6, G.4, 7.2)."""

    value: float
    unit: str
    standard_uncertainty: float
    effective_dof: float | None
    coverage_factor: float
    expanded_uncertainty: float
    interval: tuple[float, float]
    statement: str
    contributions: list[ContributionResult]
    monte_carlo: MonteCarloResult | None = None
    effective_dof_status: Literal["finite", "infinite", "undefined"] = "finite"

    @field_validator("effective_dof")
    @classmethod
    def _nan_is_none(cls, value: float | None) -> float | None:
        return None if value is not None and math.isnan(value) else value


class BudgetResultDocument(BaseModel):
    """Output of ``calib budget evaluate --json`` (CONTRACTS.md section 1)."""

    name: str
    coverage_probability: float
    outputs: dict[str, OutputResult]
    output_correlations: dict[str, dict[str, float]] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)
