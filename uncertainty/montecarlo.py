"""Monte Carlo propagation of distributions (JCGM 101:2008), vectorised and chunked.

The model is a vectorised function of input magnitudes (one array per input, one value
per trial) returning output magnitudes (see the contract in
:mod:`uncertainty.distributions`). Trials are drawn and evaluated in chunks of
``CHUNK_SIZE`` so that the working memory does not grow with M; what is kept of each
output is decided by :class:`uncertainty.coverage.OutputAccumulator` (exact values up to
``max_stored`` trials, a streaming histogram beyond). Peak memory is therefore bounded
for any M.

Reproducibility: the draws depend only on the generator's seed and on ``CHUNK_SIZE``
(a fixed constant), so the same seed gives the same result on every machine with the
same numpy. :func:`make_rng` creates a generator and returns the seed to record.

Engines do no I/O: progress is reported through ``progress(done, total)`` and a long run
stops when ``cancel()`` returns true (checked between chunks), raising
:class:`MonteCarloCancelled`.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from uncertainty.coverage import (
    GufValidation,
    Histogram,
    OutputAccumulator,
    coverage_indices,
    numerical_tolerance,
    symmetric_interval_sorted,
    validate_guf,
)
from uncertainty.distributions import Distribution, JointDistribution
from uncertainty.errors import CalibError, InvalidInputError

__all__ = [
    "CHUNK_SIZE",
    "DEFAULT_TRIALS",
    "MAX_STORED_BYTES",
    "GufValidation",
    "Histogram",
    "MonteCarloCancelled",
    "MonteCarloOutput",
    "VectorModel",
    "adaptive_batch_size",
    "make_rng",
    "run_adaptive",
    "run_monte_carlo",
    "validate_guf",
]

FloatArray = NDArray[np.float64]
VectorModel = Callable[[Mapping[str, FloatArray]], Mapping[str, FloatArray]]
ProgressCallback = Callable[[int, int], None]
CancelCallback = Callable[[], bool]

DEFAULT_TRIALS = 10**6
"""JCGM 101:2008 7.2.2: M = 10⁶ is usually enough for a 95 % interval to 1–2 digits."""

CHUNK_SIZE = 2**16
"""Trials drawn and evaluated at once (part of the reproducibility contract)."""

MAX_STORED_BYTES = 48 * 2**20
"""Budget for exact output values shared by all outputs (48 MiB = 6·10⁶ float64)."""

DEFAULT_MAX_TRIALS = 10**8
"""Cap of the adaptive procedure (t inputs with ν ≤ 4 may never settle, PITFALLS.md)."""


class MonteCarloCancelled(CalibError):
    """The caller's ``cancel()`` returned true; no result was produced."""


@dataclass(frozen=True)
class MonteCarloOutput:
    """What JCGM 101:2008 7.6–7.7 reports for one output quantity.

    Attributes
    ----------
    trials:
        M, the number of model evaluations used.
    mean, standard_uncertainty:
        Average and standard deviation (M − 1) of the M values (7.6).
    coverage_probability:
        p of both intervals.
    interval:
        Probabilistically symmetric coverage interval (7.7.2).
    shortest_interval:
        Shortest coverage interval (7.7.3).
    histogram:
        Counts for plotting over the central 99.9 % of the values.
    quantile_method:
        ``"order_statistics"`` (exact) or ``"streaming_histogram"`` (very large M).
    batches, converged:
        Adaptive runs only (7.9): batches of ``adaptive_batch_size`` used and whether
        the tolerance was met before ``max_trials``.
    delta:
        Adaptive runs only: the numerical tolerance δ of u(y) at the end (7.9.2).
    """

    trials: int
    mean: float
    standard_uncertainty: float
    coverage_probability: float
    interval: tuple[float, float]
    shortest_interval: tuple[float, float]
    histogram: Histogram
    quantile_method: str = "order_statistics"
    batches: int | None = None
    converged: bool | None = None
    delta: float | None = None


def make_rng(seed: int | None = None) -> tuple[np.random.Generator, int]:
    """A PCG64 generator and the seed to record (a fresh 63-bit seed when ``None``).

    Examples
    --------
    >>> rng, seed = make_rng(1)
    >>> seed
    1
    """
    if seed is None:
        seed = secrets.randbits(63)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InvalidInputError(
            f"seed must be a non-negative integer, got {seed!r}", field="monte_carlo.seed"
        )
    return np.random.default_rng(seed), seed


def adaptive_batch_size(coverage_probability: float) -> int:
    """M = max(J, 10⁴) with J = ⌈100/(1 − p)⌉ (JCGM 101:2008 7.9.4 a).

    Examples
    --------
    >>> adaptive_batch_size(0.95), adaptive_batch_size(0.999)
    (10000, 100000)
    """
    if not 0.0 < coverage_probability < 1.0:
        raise InvalidInputError(
            f"coverage_probability must be in (0, 1), got {coverage_probability!r}",
            field="coverage_probability",
        )
    j = math.ceil(100.0 / (1.0 - coverage_probability) - 1e-9)
    return max(j, 10**4)


def _check_names(
    independent: Mapping[str, Distribution], joint: Sequence[JointDistribution]
) -> None:
    seen = set(independent)
    for group in joint:
        for name in group.names:
            if name in seen:
                raise InvalidInputError(
                    f"input {name!r} is sampled twice (independently and in a joint "
                    "distribution, or in two joint distributions)",
                    field=f"inputs.{name}",
                )
            seen.add(name)


def _draw(
    independent: Mapping[str, Distribution],
    joint: Sequence[JointDistribution],
    rng: np.random.Generator,
    size: int,
) -> dict[str, FloatArray]:
    """One chunk of input draws: JCGM 101:2008 7.3 (sampling from the input PDFs)."""
    draws: dict[str, FloatArray] = {}
    for name, distribution in independent.items():
        draws[name] = np.asarray(distribution.sample(rng, size), dtype=np.float64)
    for group in joint:
        rows = group.sample(rng, size)
        for index, name in enumerate(group.names):
            draws[name] = rows[index]
    return draws


def _evaluate(
    model: VectorModel, draws: Mapping[str, FloatArray], outputs: Sequence[str], size: int
) -> list[FloatArray]:
    """Evaluate the model on one chunk and check its outputs (JCGM 101:2008 7.4)."""
    with np.errstate(all="ignore"):  # non-finite values are reported below, by name
        results = model(draws)
    values: list[FloatArray] = []
    for name in outputs:
        if name not in results:
            raise InvalidInputError(
                f"the model does not produce output {name!r}", field=f"outputs.{name}"
            )
        array = np.asarray(results[name], dtype=np.float64)
        if array.shape != (size,):
            array = np.broadcast_to(array, (size,))
        bad = int(np.count_nonzero(~np.isfinite(array)))
        if bad:
            raise InvalidInputError(
                f"the model gives a non-finite value of {name!r} in {bad} of {size} trials "
                "(division by zero, log or sqrt of a negative number?); the input "
                "distributions reach values where the model is undefined",
                field=f"outputs.{name}",
            )
        values.append(array)
    return values


def _finish(
    accumulator: OutputAccumulator,
    coverage_probability: float,
    *,
    batches: int | None = None,
    converged: bool | None = None,
    delta: float | None = None,
) -> MonteCarloOutput:
    symmetric, shortest = accumulator.intervals(coverage_probability)
    return MonteCarloOutput(
        trials=accumulator.count,
        mean=accumulator.mean,
        standard_uncertainty=accumulator.standard_uncertainty,
        coverage_probability=coverage_probability,
        interval=symmetric,
        shortest_interval=shortest,
        histogram=accumulator.histogram(),
        quantile_method=accumulator.quantile_method,
        batches=batches,
        converged=converged,
        delta=delta,
    )


def _max_stored(outputs: Sequence[str], max_stored_bytes: int) -> int:
    return max(max_stored_bytes // (8 * max(len(outputs), 1)), 1)


def run_monte_carlo(
    model: VectorModel,
    independent: Mapping[str, Distribution],
    joint: Sequence[JointDistribution] = (),
    *,
    outputs: Sequence[str],
    trials: int = DEFAULT_TRIALS,
    rng: np.random.Generator,
    coverage_probability: float = 0.9545,
    progress: ProgressCallback | None = None,
    cancel: CancelCallback | None = None,
    max_stored_bytes: int = MAX_STORED_BYTES,
) -> dict[str, MonteCarloOutput]:
    """Propagate the input distributions through ``model`` with a fixed number of trials.

    Parameters
    ----------
    model:
        Vectorised model: input magnitudes -> output magnitudes (one value per trial).
    independent:
        Independent inputs by name.
    joint:
        Inputs sampled together (correlated sets, observation groups).
    outputs:
        Output names to summarise.
    trials:
        M (default 10⁶, JCGM 101:2008 7.2.2).
    rng:
        The generator (record its seed; see :func:`make_rng`).
    coverage_probability:
        p of the coverage intervals.
    progress:
        Called as ``progress(done, total)`` after each chunk.
    cancel:
        Polled before each chunk; when it returns true, :class:`MonteCarloCancelled`.
    max_stored_bytes:
        Memory for exact values of all outputs; beyond it the streaming histogram.

    Returns
    -------
    dict
        One :class:`MonteCarloOutput` per output name.

    References
    ----------
    JCGM 101:2008 7.2 (number of trials), 7.3 (sampling), 7.4 (model evaluation),
    7.5 (discrete representation), 7.6 (estimate and standard uncertainty), 7.7
    (coverage intervals).

    Examples
    --------
    >>> from uncertainty.distributions import Normal
    >>> out = run_monte_carlo(lambda x: {"y": x["a"] + x["b"]},
    ...                       {"a": Normal(0, 1), "b": Normal(0, 1)}, outputs=["y"],
    ...                       trials=10**5, rng=np.random.default_rng(1))
    >>> round(out["y"].standard_uncertainty, 1)
    1.4
    """
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise InvalidInputError(
            f"trials must be a positive integer, got {trials!r}", field="monte_carlo.trials"
        )
    if not outputs:
        raise InvalidInputError("at least one output is needed", field="outputs")
    coverage_indices(trials, coverage_probability)  # validates p and M early
    _check_names(independent, joint)
    max_stored = _max_stored(outputs, max_stored_bytes)
    accumulators = [OutputAccumulator(max_stored, expected=trials) for _ in outputs]
    done = 0
    while done < trials:
        if cancel is not None and cancel():
            raise MonteCarloCancelled(f"Monte Carlo cancelled after {done} of {trials} trials")
        size = min(CHUNK_SIZE, trials - done)
        values = _evaluate(model, _draw(independent, joint, rng, size), outputs, size)
        for accumulator, chunk in zip(accumulators, values, strict=True):
            accumulator.add(chunk)
        done += size
        if progress is not None:
            progress(done, trials)
    return {
        name: _finish(accumulator, coverage_probability)
        for name, accumulator in zip(outputs, accumulators, strict=True)
    }


def _batch_statistics(values: FloatArray, coverage_probability: float) -> FloatArray:
    """y, u(y), y_low, y_high of one batch (JCGM 101:2008 7.9.4 c)."""
    ordered = np.sort(values)
    low, high = symmetric_interval_sorted(ordered, coverage_probability)
    return np.array([ordered.mean(), ordered.std(ddof=1), low, high])


def run_adaptive(
    model: VectorModel,
    independent: Mapping[str, Distribution],
    joint: Sequence[JointDistribution] = (),
    *,
    outputs: Sequence[str],
    rng: np.random.Generator,
    coverage_probability: float = 0.9545,
    significant_digits: int = 2,
    max_trials: int = DEFAULT_MAX_TRIALS,
    progress: ProgressCallback | None = None,
    cancel: CancelCallback | None = None,
    max_stored_bytes: int = MAX_STORED_BYTES,
) -> dict[str, MonteCarloOutput]:
    """Adaptive Monte Carlo: add batches until the results are stable to δ.

    Batches of M = max(J, 10⁴), J = ⌈100/(1 − p)⌉. After batch h ≥ 2, for each output the
    standard deviations of the averages of the h batch values of y, u(y), y_low and
    y_high are s = sd(batch values)/√h; the run stops when 2s ≤ δ for all four and all
    outputs, δ being the numerical tolerance of u(y) (from all values so far) with
    ``significant_digits`` digits. Results come from all h·M pooled values. ``progress``
    gets ``(done, max_trials)`` since the total is unknown in advance.

    References
    ----------
    JCGM 101:2008 7.9.2 (numerical tolerance), 7.9.4 (adaptive procedure, steps a–i).
    """
    if isinstance(max_trials, bool) or not isinstance(max_trials, int) or max_trials < 1:
        raise InvalidInputError(
            f"max_trials must be a positive integer, got {max_trials!r}",
            field="monte_carlo.max_trials",
        )
    if not outputs:
        raise InvalidInputError("at least one output is needed", field="outputs")
    numerical_tolerance(1.0, significant_digits)  # validates significant_digits
    batch = adaptive_batch_size(coverage_probability)
    _check_names(independent, joint)
    max_stored = _max_stored(outputs, max_stored_bytes)
    accumulators = [OutputAccumulator(max_stored) for _ in outputs]
    history: list[list[FloatArray]] = [[] for _ in outputs]
    h = 0
    converged = False
    deltas = [math.nan] * len(outputs)
    while True:
        if cancel is not None and cancel():
            raise MonteCarloCancelled(f"Monte Carlo cancelled after {h * batch} trials")
        batch_values: list[list[FloatArray]] = [[] for _ in outputs]
        filled = 0
        while filled < batch:
            size = min(CHUNK_SIZE, batch - filled)
            chunk = _evaluate(model, _draw(independent, joint, rng, size), outputs, size)
            for index, values in enumerate(chunk):
                batch_values[index].append(values)
                accumulators[index].add(values)
            filled += size
        h += 1
        for index in range(len(outputs)):
            joined = np.concatenate(batch_values[index])
            history[index].append(_batch_statistics(joined, coverage_probability))
        if progress is not None:
            progress(h * batch, max_trials)
        if h >= 2:
            stable = True
            for index, accumulator in enumerate(accumulators):
                table = np.vstack(history[index])
                spread = table.std(axis=0, ddof=1) / math.sqrt(h)
                deltas[index] = numerical_tolerance(
                    accumulator.standard_uncertainty, significant_digits
                )
                if np.any(2.0 * spread > deltas[index]):
                    stable = False
            if stable:
                converged = True
                break
        if (h + 1) * batch > max_trials:
            break
    return {
        name: _finish(
            accumulator,
            coverage_probability,
            batches=h,
            converged=converged,
            delta=deltas[index] if not math.isnan(deltas[index]) else None,
        )
        for index, (name, accumulator) in enumerate(zip(outputs, accumulators, strict=True))
    }
