"""Evaluate an uncertainty budget document: GUF, optional Monte Carlo, result document.

Flow (DESIGN.md): ``BudgetDocument`` → :func:`compile_budget` (parse, unit-check and
differentiate the model once; build the inputs) → GUF (:mod:`uncertainty.gum`) →
optional Monte Carlo (``uncertainty.montecarlo``, JCGM 101) with GUF validation (8.2) →
statement rounded per GUM 7.2.6 → ``BudgetResultDocument``.

:func:`evaluate_many` evaluates a whole table of budgets of one compiled model (different
values and uncertainties, e.g. a lab's CMC table) as arrays in one pass.

References
----------
JCGM 100:2008 5, 6, 7.2, G.4, H.1, H.2; JCGM 101:2008 7, 8.2.
"""

from __future__ import annotations

import functools
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pint
from numpy.typing import NDArray
from pydantic import ValidationError

from uncertainty.errors import InvalidInputError
from uncertainty.gum import GufCombination, combine, coverage_factor, output_covariance
from uncertainty.inputs import InputSet, build_inputs, clear_input_cache
from uncertainty.model import CompiledModel, ParsedModel, compile_model, parse_model
from uncertainty.rounding import result_statement
from uncertainty.schema import (
    BudgetDocument,
    BudgetResultDocument,
    GufValidationResult,
    MonteCarloResult,
    OutputResult,
)
from uncertainty.units import delta_unit, is_offset_unit, parse_unit, unit_label

__all__ = [
    "DEFAULT_TRIALS",
    "MODEL_CACHE_SIZE",
    "CompiledBudget",
    "ManyResult",
    "clear_model_cache",
    "compile_budget",
    "evaluate_budget",
    "evaluate_many",
    "parse_budget",
]

FloatArray = NDArray[np.float64]
DEFAULT_TRIALS = 1_000_000


def parse_budget(data: Any) -> BudgetDocument:
    """Validate a JSON-like mapping as a :class:`BudgetDocument`.

    Raises
    ------
    InvalidInputError
        Naming the first offending field (dotted path) and the reason.
    """
    if isinstance(data, BudgetDocument):
        return data
    try:
        return BudgetDocument.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(str(p) for p in first["loc"])
        message = first["msg"]
        if first["type"] == "extra_forbidden":
            message = "unknown field (check the spelling; see `calib schema budget`)"
        elif first["type"] not in ("value_error",) and "input" in first:
            message = f"{message}, got {first['input']!r}"
        message = message.removeprefix("Value error, ")
        raise InvalidInputError(message, field=path or None) from exc


@dataclass(frozen=True)
class CompiledBudget:
    """A budget whose model is parsed, unit-checked and differentiated once."""

    document: BudgetDocument
    model: CompiledModel
    inputs: InputSet
    output_labels: dict[str, str]
    parsed: ParsedModel

    @functools.cached_property
    def default_values(self) -> dict[str, FloatArray]:
        """The document's input estimates as 0-d arrays."""
        return {q.name: np.asarray(q.value, dtype=np.float64) for q in self.inputs.quantities}

    @functools.cached_property
    def dofs(self) -> list[float]:
        """Degrees of freedom of the inputs, in order."""
        return [q.dof for q in self.inputs.quantities]

    @functools.cached_property
    def default_uncertainties(self) -> FloatArray:
        """The document's standard uncertainties, shape (n,)."""
        return np.array([q.standard_uncertainty for q in self.inputs.quantities], dtype=np.float64)

    @functools.cached_property
    def correlation(self) -> FloatArray | None:
        """Input correlation matrix, ``None`` when all inputs are independent."""
        cov = self.inputs.covariance
        if np.count_nonzero(cov - np.diag(np.diag(cov))) == 0:
            return None
        u = np.sqrt(np.diag(cov))
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(np.outer(u, u) > 0, cov / np.outer(u, u), 0.0)
        np.fill_diagonal(r, 1.0)
        return np.asarray(r, dtype=np.float64)


_MODEL_CACHE: OrderedDict[tuple[Any, ...], tuple[ParsedModel, CompiledModel]] = OrderedDict()
MODEL_CACHE_SIZE = 128
_MODEL_LOCK = threading.Lock()
"""Compiled models kept (least recently used first out), keyed by the model text, the
input names and unit texts, the constants and the requested outputs."""


def clear_model_cache() -> None:
    """Forget every compiled model and remembered input quantity (benchmarks measure
    cold evaluations with it)."""
    with _MODEL_LOCK:
        _MODEL_CACHE.clear()
    clear_input_cache()


def _compiled_model(doc: BudgetDocument, inputs: InputSet) -> tuple[ParsedModel, CompiledModel]:
    """Parse, unit-check and compile the document's model, once per distinct model.

    The compiled model is pure (closures over the equations, units and constants only):
    evaluating a budget whose model, input units, constants and outputs were seen before
    (the editor re-evaluating after each edit, a CMC table, a benchmark loop) reuses it.
    """
    key = (
        doc.model if isinstance(doc.model, str) else tuple(doc.model),
        tuple((name, spec.unit) for name, spec in doc.inputs.items()),
        tuple((name, spec.value, spec.unit) for name, spec in doc.constants.items()),
        None
        if doc.outputs is None
        else tuple((name, spec.unit) for name, spec in doc.outputs.items()),
    )
    with _MODEL_LOCK:  # the editor page evaluates in several Streamlit threads
        hit = _MODEL_CACHE.get(key)
        if hit is not None:
            _MODEL_CACHE.move_to_end(key)
            return hit
    constants: dict[str, tuple[float, pint.Unit]] = {
        name: (spec.value, parse_unit(spec.unit, field=f"constants.{name}.unit"))
        for name, spec in doc.constants.items()
    }
    parsed = parse_model(doc.model)
    outputs: dict[str, pint.Unit | None] | None = None
    if doc.outputs:
        outputs = {
            name: None if spec.unit is None else parse_unit(spec.unit, field=f"outputs.{name}.unit")
            for name, spec in doc.outputs.items()
        }
    units = {q.name: q.unit for q in inputs.quantities}
    model = compile_model(parsed, units, constants=constants, outputs=outputs)
    with _MODEL_LOCK:
        _MODEL_CACHE[key] = (parsed, model)
        if len(_MODEL_CACHE) > MODEL_CACHE_SIZE:
            _MODEL_CACHE.popitem(last=False)
    return parsed, model


def compile_budget(document: BudgetDocument | Mapping[str, Any]) -> CompiledBudget:
    """Parse, check and compile a budget document (nothing is evaluated yet)."""
    doc = parse_budget(document)
    inputs = build_inputs(doc)
    parsed, model = _compiled_model(doc, inputs)
    labels: dict[str, str] = {}
    if doc.outputs:
        labels = {name: spec.unit for name, spec in doc.outputs.items() if spec.unit is not None}
    for name in model.output_names:
        labels.setdefault(name, unit_label(model.output_units[name]))
    return CompiledBudget(doc, model, inputs, labels, parsed)


@dataclass(frozen=True)
class ManyResult:
    """GUF results of B budgets for one output (arrays of shape (B,))."""

    value: FloatArray
    standard_uncertainty: FloatArray
    effective_dof: FloatArray
    coverage_factor: FloatArray
    expanded_uncertainty: FloatArray
    sensitivities: FloatArray  # (n, B)


def evaluate_many(
    budget: CompiledBudget,
    values: Mapping[str, FloatArray],
    uncertainties: Mapping[str, FloatArray],
    *,
    coverage_probability: float | None = None,
) -> dict[str, ManyResult]:
    """GUF of many budgets of one compiled model, as arrays, in one pass.

    ``values`` and ``uncertainties`` give, per input name, arrays of estimates and
    standard uncertainties (input units); missing names keep the document's values.
    Degrees of freedom and correlations are the document's.

    References
    ----------
    JCGM 100:2008 5.1.2, 5.2.2, G.4.1.
    """
    return _evaluate_many(budget, values, uncertainties, coverage_probability)[0]


def _evaluate_many(
    budget: CompiledBudget,
    values: Mapping[str, FloatArray],
    uncertainties: Mapping[str, FloatArray],
    coverage_probability: float | None,
) -> tuple[dict[str, ManyResult], dict[str, GufCombination]]:
    """:func:`evaluate_many` with the GUF combinations (contributions, indices)."""
    quantities = budget.inputs.quantities
    if values:
        x = {q.name: np.asarray(values.get(q.name, q.value), dtype=np.float64) for q in quantities}
        shape = np.broadcast_shapes(*(np.shape(v) for v in x.values()))
    else:
        x, shape = budget.default_values, ()
    given = (
        [uncertainties.get(q.name, q.standard_uncertainty) for q in quantities]
        if uncertainties
        else []
    )
    if not uncertainties:
        u = budget.default_uncertainties.reshape((-1,) + (1,) * len(shape))
        u = np.broadcast_to(u, (len(quantities), *shape))
    elif all(np.ndim(g) == 0 for g in given):
        u = np.broadcast_to(
            np.asarray(given, dtype=np.float64).reshape((-1,) + (1,) * len(shape)),
            (len(quantities), *shape),
        )
    else:
        u = np.stack([np.broadcast_to(np.asarray(g, dtype=np.float64), shape) for g in given])
    with np.errstate(all="ignore"):  # non-finite results are reported, not warned
        outs, jac = budget.model.gradient(x)
    p = (
        budget.document.coverage_probability
        if coverage_probability is None
        else coverage_probability
    )
    dofs = budget.dofs
    result: dict[str, ManyResult] = {}
    combinations: dict[str, GufCombination] = {}
    for name in budget.model.output_names:
        comb = combine(
            jac[name].reshape(len(quantities), -1),
            u.reshape(len(quantities), -1),
            budget.correlation,
            dofs,
            ensembles=budget.inputs.ensembles,
            correlated=budget.inputs.correlated,
        )
        k = (
            np.full_like(comb.standard_uncertainty, budget.document.coverage_factor)
            if budget.document.coverage_factor
            else coverage_factor(p, comb.effective_dof)
        )
        result[name] = ManyResult(
            outs[name].reshape(-1),
            comb.standard_uncertainty,
            comb.effective_dof,
            k,
            k * comb.standard_uncertainty,
            jac[name].reshape(len(quantities), -1),
        )
        combinations[name] = comb
    return result, combinations


def _degenerate(
    budget: CompiledBudget, name: str, c: FloatArray, u: FloatArray, u_c: float
) -> list[str]:
    """Inputs whose sensitivity vanishes at the estimate but not nearby (GUM H.1.7, JCGM 101 9.4)."""
    suspects = np.flatnonzero((u > 0) & (np.abs(c) * u <= 1e-9 * max(u_c, 1e-300))).tolist()
    if not suspects:
        return []
    movers = [j for j in range(len(u)) if u[j] > 0]
    qs = budget.inputs.quantities
    values = {q.name: np.full(len(movers), q.value) for q in qs}
    for k, j in enumerate(movers):
        values[qs[j].name][k] += u[j]
    with np.errstate(all="ignore"):
        _, jac = budget.model.gradient(values)
    found = []
    for i in suspects:
        moved = np.nanmax(np.abs(jac[name][i])) * u[i] if movers else 0.0
        if moved > 0.01 * u_c or (u_c == 0 and moved > 0):
            found.append(qs[i].name)
    return found


def evaluate_budget(
    document: BudgetDocument | Mapping[str, Any],
    *,
    monte_carlo: bool | None = None,
    trials: int | None = None,
    seed: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> BudgetResultDocument:
    """Evaluate a budget (GUF, and Monte Carlo when asked) into the result document.

    ``monte_carlo=None`` runs Monte Carlo when the document has a ``monte_carlo`` section;
    ``trials``/``seed`` override the document's.

    References
    ----------
    JCGM 100:2008 5.1.2, 5.2.2, G.4.1, 7.2.6, H.2; JCGM 101:2008 7, 8.2.
    """
    budget = compile_budget(document)
    doc = budget.document
    qs = budget.inputs.quantities
    p = doc.coverage_probability
    many, combinations = _evaluate_many(budget, {}, {}, None)
    warnings: list[str] = []
    used = set().union(*(eq.names for eq in budget.parsed.equations))
    for q in qs:
        if q.name not in used:
            warnings.append(f"input {q.name!r} is not used by the model")
    u = np.array([q.standard_uncertainty for q in qs])
    results: dict[str, OutputResult] = {}
    for name in budget.model.output_names:
        r = many[name]
        value, u_c = float(r.value[0]), float(r.standard_uncertainty[0])
        if not (math.isfinite(value) and math.isfinite(u_c)):
            raise InvalidInputError(
                f"output {name!r} is not finite at the input estimates (value {value}, "
                f"u {u_c}): check the model's domain (log of <= 0, division by 0, sqrt of < 0)",
                field="model",
            )
        nu = float(r.effective_dof[0])
        k, big_u = float(r.coverage_factor[0]), float(r.expanded_uncertainty[0])
        c = r.sensitivities[:, 0]
        comb = combinations[name]
        status = "undefined" if math.isnan(nu) else ("infinite" if math.isinf(nu) else "finite")
        if status == "undefined":
            warnings.append(
                f"{name}: effective degrees of freedom undefined: inputs correlated through "
                "'correlations' have finite dof (Welch–Satterthwaite needs independent inputs, "
                "GUM G.4.1); k is taken from the normal distribution; use Monte Carlo or give "
                "the inputs as an observation group"
            )
        for bad in _degenerate(budget, name, c, u, u_c):
            warnings.append(
                f"{name}: the sensitivity to {bad!r} vanishes at the estimate while u({bad}) > 0; "
                "first-order propagation understates u (GUM H.1.7, JCGM 101 9.4): check with "
                "Monte Carlo (--monte-carlo)"
            )
        if u_c == 0:
            warnings.append(f"{name}: the combined standard uncertainty is 0")
        label = budget.output_labels[name]
        rows: list[dict[str, Any]] = []  # validated once, in Rust, by OutputResult
        sensitivities = c.tolist()
        contributions = comb.contributions[:, 0].tolist()
        percents = comb.percent[:, 0].tolist()
        units: dict[str, tuple[str, str]] = {}  # unit text -> (input unit, sensitivity unit)
        for i, q in enumerate(qs):
            shown = units.get(q.unit_text)
            if shown is None:
                in_unit = delta_unit(q.unit) if is_offset_unit(q.unit) else None
                shown = units[q.unit_text] = (
                    unit_label(in_unit) if in_unit is not None else q.unit_text,
                    unit_label(budget.model.sensitivity_unit(name, q.name)),
                )
            rows.append(
                {
                    "input": q.name,
                    "estimate": q.value,
                    "sensitivity": sensitivities[i],
                    "sensitivity_unit": shown[1],
                    "standard_uncertainty": q.standard_uncertainty,
                    "unit": shown[0],
                    "contribution": contributions[i],
                    "dof": q.dof,
                    "percent": percents[i],
                    "distribution": q.distribution,
                    "description": q.description,
                }
            )
        statement = result_statement(
            name,
            value,
            label,
            big_u,
            k,
            None if doc.coverage_factor else p,
            None if math.isnan(nu) else nu,
        )
        results[name] = OutputResult(
            value=value,
            unit=label,
            standard_uncertainty=u_c,
            effective_dof=None if math.isnan(nu) else nu,
            coverage_factor=k,
            expanded_uncertainty=big_u,
            interval=(value - big_u, value + big_u),
            statement=statement,
            contributions=rows,  # type: ignore[arg-type]
            effective_dof_status=status,
        )
    correlations: dict[str, dict[str, float]] = {}
    names = budget.model.output_names
    if len(names) > 1:
        jac = np.stack([many[n].sensitivities[:, 0] for n in names])
        cov_y = output_covariance(jac, budget.inputs.covariance)[..., 0]
        sd = np.sqrt(np.diag(cov_y))
        for a in range(len(names)):
            row = {}
            for b in range(a + 1, len(names)):
                row[names[b]] = (
                    float(cov_y[a, b] / (sd[a] * sd[b])) if sd[a] > 0 and sd[b] > 0 else 0.0
                )
            if row:
                correlations[names[a]] = row
    run_mc = monte_carlo if monte_carlo is not None else doc.monte_carlo is not None
    if run_mc:
        _monte_carlo(
            budget, results, warnings, trials=trials, seed=seed, progress=progress, cancel=cancel
        )
    return BudgetResultDocument(
        name=doc.name,
        coverage_probability=p,
        outputs=results,
        output_correlations=correlations,
        warnings=warnings,
    )


def _monte_carlo(
    budget: CompiledBudget,
    results: dict[str, OutputResult],
    warnings: list[str],
    *,
    trials: int | None,
    seed: int | None,
    progress: Callable[[int, int], None] | None,
    cancel: Callable[[], bool] | None,
) -> None:
    """Run JCGM 101 Monte Carlo and validate the GUF against it (8.2)."""
    try:
        from uncertainty import montecarlo
    except ImportError:  # pragma: no cover - montecarlo.py lands separately
        warnings.append("Monte Carlo is not available in this build")
        return
    spec = budget.document.monte_carlo
    seed = seed if seed is not None else (spec.seed if spec else None)
    rng, used_seed = montecarlo.make_rng(seed)
    digits = spec.significant_digits if spec else 2
    common: dict[str, Any] = {
        "outputs": list(budget.model.output_names),
        "rng": rng,
        "coverage_probability": budget.document.coverage_probability,
        "progress": progress,
        "cancel": cancel,
    }
    if spec is not None and spec.adaptive and trials is None:
        mc = montecarlo.run_adaptive(
            budget.model.evaluate,
            budget.inputs.independent,
            budget.inputs.joint,
            significant_digits=digits,
            **common,
        )
    else:
        m = (
            trials
            if trials is not None
            else (spec.trials if spec and spec.trials else DEFAULT_TRIALS)
        )
        if m < 100:
            raise InvalidInputError(f"trials must be >= 100, got {m}", field="monte_carlo.trials")
        mc = montecarlo.run_monte_carlo(
            budget.model.evaluate,
            budget.inputs.independent,
            budget.inputs.joint,
            trials=m,
            **common,
        )
    for name, out in mc.items():
        guf = results[name]
        check = montecarlo.validate_guf(
            estimate=guf.value,
            expanded_uncertainty=guf.expanded_uncertainty,
            standard_uncertainty=guf.standard_uncertainty,
            interval=out.interval,
            significant_digits=digits,
        )
        guf.monte_carlo = MonteCarloResult(
            trials=out.trials,
            seed=used_seed,
            mean=out.mean,
            standard_uncertainty=out.standard_uncertainty,
            interval=out.interval,
            shortest_interval=out.shortest_interval,
            validation=GufValidationResult(
                significant_digits=check.significant_digits,
                delta=check.delta,
                d_low=check.d_low,
                d_high=check.d_high,
                validated=check.validated,
            ),
            histogram={
                "counts": [float(v) for v in out.histogram.counts],
                "edges": [float(v) for v in out.histogram.edges],
            },
        )
        if not check.validated:
            warnings.append(
                f"{name}: the GUF interval is not validated by Monte Carlo (JCGM 101 8.2: "
                f"d_low = {check.d_low:.3g}, d_high = {check.d_high:.3g} > δ = {check.delta:.3g}); "
                "prefer the Monte Carlo interval"
            )
