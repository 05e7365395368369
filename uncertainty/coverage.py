"""Coverage intervals, numerical tolerance and GUF validation from Monte Carlo values.

What a Monte Carlo run keeps of each output quantity, in bounded memory:

* up to ``max_stored`` trials, the values themselves (float64, exact order statistics,
  JCGM 101:2008 7.5–7.7; sorted in place, no copy);
* beyond that, a fine streaming histogram of ``HISTOGRAM_BINS`` bins whose range doubles
  (merging neighbouring bins) whenever a value falls outside it. Quantiles are read from
  the cumulative counts with linear interpolation inside a bin, so an endpoint is known
  to a small fraction of one bin (the range is at least the spread of the values and
  at most a few times it: a few 1e-5 of the spread for 2**18 bins), far below the Monte
  Carlo noise of an endpoint at the M where this mode starts. The mean and standard
  uncertainty are always exact (shifted running sums, JCGM 101:2008 7.6).

The mode used is reported as ``quantile_method`` (``"order_statistics"`` or
``"streaming_histogram"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from uncertainty.errors import InvalidInputError

__all__ = [
    "HISTOGRAM_BINS",
    "GufValidation",
    "Histogram",
    "OutputAccumulator",
    "coverage_indices",
    "numerical_tolerance",
    "shortest_interval_sorted",
    "symmetric_interval_sorted",
    "validate_guf",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

HISTOGRAM_BINS = 2**18
"""Bins of the streaming histogram used past ``max_stored`` trials (2 MiB of counts)."""

_PLOT_BINS = 100
_DIFF_CHUNK = 2**20
_BIN_CHUNK = 2**16


@dataclass(frozen=True)
class Histogram:
    """Counts of the Monte Carlo values for plotting (not for the intervals).

    ``edges`` has ``len(counts) + 1`` entries and spans the central 99.9 % of the values;
    ``outside`` trials fall beyond it. ``density`` integrates to the share inside.
    """

    counts: IntArray
    edges: FloatArray
    outside: int

    @property
    def density(self) -> FloatArray:
        """Counts scaled to a probability density (divide by M and bin width)."""
        total = int(self.counts.sum()) + self.outside
        widths = np.diff(self.edges)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(self.counts / (total * widths), dtype=np.float64)


@dataclass(frozen=True)
class GufValidation:
    """Outcome of the GUF-versus-MCM comparison of JCGM 101:2008 8.2."""

    significant_digits: int
    delta: float
    d_low: float
    d_high: float
    validated: bool


def coverage_indices(trials: int, coverage_probability: float) -> tuple[int, int]:
    """``(q, r)`` of JCGM 101:2008 7.7.1 and 7.7.2 (1-based order statistics).

    q = pM if that is an integer, otherwise ⌊pM + 1/2⌋; r = (M − q)/2 if that is an
    integer, otherwise ⌊(M − q)/2 + 1/2⌋. The symmetric interval is [y_(r), y_(r+q)].

    Examples
    --------
    >>> coverage_indices(10**6, 0.95)
    (950000, 25000)

    References
    ----------
    JCGM 101:2008 7.7.1, 7.7.2.
    """
    if not 0.0 < coverage_probability < 1.0:
        raise InvalidInputError(
            f"coverage_probability must be in (0, 1), got {coverage_probability!r}",
            field="coverage_probability",
        )
    pm = coverage_probability * trials
    q = round(pm) if abs(pm - round(pm)) < 1e-9 else math.floor(pm + 0.5)
    half = (trials - q) / 2.0
    r = int(half) if half == int(half) else math.floor(half + 0.5)
    if r < 1 or r + q > trials:
        minimum = math.ceil(2.0 / (1.0 - coverage_probability))
        raise InvalidInputError(
            f"{trials} trials are too few for a {coverage_probability:g} coverage interval; "
            f"use at least {minimum} (JCGM 101 7.2.2 recommends 10**4 times 1/(1-p))",
            field="monte_carlo.trials",
        )
    return q, r


def symmetric_interval_sorted(
    values: FloatArray, coverage_probability: float
) -> tuple[float, float]:
    """Probabilistically symmetric interval [y_(r), y_(r+q)] from sorted values.

    References
    ----------
    JCGM 101:2008 7.7.2.
    """
    q, r = coverage_indices(values.size, coverage_probability)
    return float(values[r - 1]), float(values[r + q - 1])


def shortest_interval_sorted(
    values: FloatArray, coverage_probability: float
) -> tuple[float, float]:
    """Shortest interval [y_(r*), y_(r*+q)] from sorted values, minimising y_(r+q) − y_(r).

    Evaluated as ``argmin(y[q:] - y[:-q])`` in blocks of 2**20 differences so the
    temporary array stays small for any M. For flat-topped PDFs the location is
    ill-conditioned (JCGM 101 7.7.3 note); the length is stable.

    References
    ----------
    JCGM 101:2008 7.7.3.
    """
    q, _ = coverage_indices(values.size, coverage_probability)
    count = values.size - q
    best_index = 0
    best_length = math.inf
    for start in range(0, count, _DIFF_CHUNK):
        stop = min(start + _DIFF_CHUNK, count)
        lengths = values[start + q : stop + q] - values[start:stop]
        i = int(np.argmin(lengths))
        if lengths[i] < best_length:
            best_length = float(lengths[i])
            best_index = start + i
    return float(values[best_index]), float(values[best_index + q])


def numerical_tolerance(value: float, significant_digits: int) -> float:
    """δ = ½·10^l where ``value`` = c·10^l with c an integer of ``significant_digits`` digits.

    The rounding happens first: 0.0996 with two digits is 0.10 = 10·10⁻², so δ = 0.005.

    Examples
    --------
    >>> numerical_tolerance(2.0, 2)
    0.05
    >>> numerical_tolerance(0.0996, 2)
    0.005

    References
    ----------
    JCGM 101:2008 7.9.2, 8.2.
    """
    if significant_digits < 1:
        raise InvalidInputError(
            f"significant_digits must be >= 1, got {significant_digits!r}",
            field="monte_carlo.significant_digits",
        )
    if not math.isfinite(value) or value <= 0.0:
        return 0.0
    exponent = math.floor(math.log10(value)) - significant_digits + 1
    if round(value / 10.0**exponent) >= 10**significant_digits:
        exponent += 1
    return 0.5 * 10.0**exponent


def validate_guf(
    *,
    estimate: float,
    expanded_uncertainty: float,
    standard_uncertainty: float,
    interval: tuple[float, float],
    significant_digits: int = 2,
) -> GufValidation:
    """Compare the GUF interval y ± U_p with the MCM probabilistically symmetric interval.

    δ is the numerical tolerance of the GUF standard uncertainty u(y) with
    ``significant_digits`` digits; d_low = |y − U_p − y_low|, d_high = |y + U_p − y_high|;
    the GUF is validated when both are ≤ δ. The verdict is only meaningful when the MCM
    itself was run to a tolerance well below δ (JCGM 101 8.2 note; run adaptively).

    Examples
    --------
    >>> validate_guf(estimate=0.0, expanded_uncertainty=3.92, standard_uncertainty=2.0,
    ...              interval=(-3.88, 3.88)).validated
    True

    References
    ----------
    JCGM 101:2008 8.2, 9.2.3 (rectangular inputs: MCM ±3.88 vs GUF ±3.92, validated
    with ndig = 2, δ = 0.05).
    """
    delta = numerical_tolerance(standard_uncertainty, significant_digits)
    y_low, y_high = interval
    d_low = abs(estimate - expanded_uncertainty - y_low)
    d_high = abs(estimate + expanded_uncertainty - y_high)
    # Compare with a relative guard of a few ulps: d = δ exactly is "validated" (≤ δ).
    slack = 1e-12 * max(abs(estimate), abs(expanded_uncertainty), delta)
    validated = bool(d_low <= delta + slack and d_high <= delta + slack)
    return GufValidation(
        significant_digits=significant_digits,
        delta=delta,
        d_low=d_low,
        d_high=d_high,
        validated=validated,
    )


class OutputAccumulator:
    """Collects the Monte Carlo values of one output quantity in bounded memory.

    Parameters
    ----------
    max_stored:
        Keep at most this many float64 values (exact order statistics); beyond it switch
        to the streaming histogram (see the module docstring).
    expected:
        Trials announced in advance (fixed M): the buffer is allocated once.
    """

    def __init__(self, max_stored: int, expected: int | None = None) -> None:
        self.max_stored = max_stored
        self.count = 0
        self._shift: float | None = None
        self._sum = 0.0
        self._sum_squares = 0.0
        self._values: FloatArray | None = None
        self._sorted = False
        self._expected = expected
        self._counts: IntArray | None = None
        self._low = 0.0
        self._width = 0.0

    @property
    def quantile_method(self) -> str:
        """``"order_statistics"`` (exact) or ``"streaming_histogram"``."""
        return "streaming_histogram" if self._counts is not None else "order_statistics"

    def add(self, values: FloatArray) -> None:
        """Add one chunk of values (finite)."""
        n = values.size
        if n == 0:
            return
        if self._shift is None:
            self._shift = float(values.mean())
        centred = values - self._shift
        self._sum += float(centred.sum())
        centred *= centred  # in place: no BLAS call, no second temporary
        self._sum_squares += float(centred.sum())
        too_many = self.count + n > self.max_stored or (
            self._expected is not None and self._expected > self.max_stored
        )
        if self._counts is None and too_many:
            self._start_histogram()
        if self._counts is not None:
            self._bin(values)
        else:
            self._store(values)
        self.count += n

    def _store(self, values: FloatArray) -> None:
        if self._values is None:
            # One buffer for the whole run, never grown or copied. For an unknown M
            # (adaptive) it is max_stored long; the operating system commits its pages
            # only as they are written, so resident memory follows the values stored.
            size = self._expected if self._expected is not None else self.max_stored
            self._values = np.empty(min(size, self.max_stored), dtype=np.float64)
        self._values[self.count : self.count + values.size] = values
        self._sorted = False

    def _start_histogram(self) -> None:
        stored = self._values
        self._counts = np.zeros(HISTOGRAM_BINS, dtype=np.int64)
        self._width = 0.0
        self._values = None
        if stored is not None:
            for start in range(0, self.count, _BIN_CHUNK):
                self._bin(stored[start : min(start + _BIN_CHUNK, self.count)])
        del stored

    def _bin(self, values: FloatArray) -> None:
        if self._counts is None:  # pragma: no cover - guarded by the caller
            return
        low_value = float(values.min())
        high_value = float(values.max())
        if self._width == 0.0:
            span = high_value - low_value
            if span == 0.0:
                span = max(abs(low_value), 1.0) * 1e-9
            self._width = 2.0 * span / HISTOGRAM_BINS
            self._low = low_value - 0.5 * span
        while low_value < self._low or high_value >= self._low + self._width * HISTOGRAM_BINS:
            self._double(extend_down=low_value < self._low)
        index = ((values - self._low) / self._width).astype(np.int64)
        np.clip(index, 0, HISTOGRAM_BINS - 1, out=index)
        counts = self._counts  # after any doubling
        counts += np.bincount(index, minlength=HISTOGRAM_BINS)

    def _double(self, *, extend_down: bool) -> None:
        counts = self._counts
        if counts is None:  # pragma: no cover
            return
        merged = counts.reshape(-1, 2).sum(axis=1)
        doubled = np.zeros_like(counts)
        half = HISTOGRAM_BINS // 2
        if extend_down:
            doubled[half:] = merged
            self._low -= self._width * HISTOGRAM_BINS
        else:
            doubled[:half] = merged
        self._width *= 2.0
        self._counts = doubled

    @property
    def mean(self) -> float:
        """Arithmetic mean of the values (JCGM 101:2008 7.6, Eq. (14))."""
        if self.count == 0 or self._shift is None:
            return math.nan
        return self._shift + self._sum / self.count

    @property
    def standard_uncertainty(self) -> float:
        """Standard deviation with M − 1 (JCGM 101:2008 7.6, Eq. (15))."""
        if self.count < 2:
            return math.nan
        mean_centred = self._sum / self.count
        variance = (self._sum_squares - self.count * mean_centred**2) / (self.count - 1)
        return math.sqrt(max(variance, 0.0))

    def sorted_values(self) -> FloatArray | None:
        """The stored values sorted in place (``None`` in histogram mode)."""
        if self._counts is not None or self._values is None:
            return None
        values = self._values[: self.count]
        if not self._sorted:
            values.sort()
            self._sorted = True
        return values

    def _quantile_at_count(self, cumulative: IntArray, edges: FloatArray, k: float) -> float:
        j = int(np.searchsorted(cumulative, k, side="left"))
        j = min(max(j, 1), cumulative.size - 1)
        below = float(cumulative[j - 1])
        inside = float(cumulative[j] - cumulative[j - 1])
        fraction = 0.0 if inside == 0 else (k - below) / inside
        return float(edges[j - 1] + fraction * (edges[j] - edges[j - 1]))

    def intervals(
        self, coverage_probability: float
    ) -> tuple[tuple[float, float], tuple[float, float]]:
        """(symmetric, shortest) coverage intervals (JCGM 101:2008 7.7)."""
        values = self.sorted_values()
        if values is not None:
            return (
                symmetric_interval_sorted(values, coverage_probability),
                shortest_interval_sorted(values, coverage_probability),
            )
        counts = self._counts
        if counts is None:  # pragma: no cover
            raise InvalidInputError("no Monte Carlo values", field="monte_carlo.trials")
        q, r = coverage_indices(self.count, coverage_probability)
        cumulative = np.concatenate([[0], np.cumsum(counts)])
        edges = self._low + self._width * np.arange(HISTOGRAM_BINS + 1, dtype=np.float64)
        symmetric = (
            self._quantile_at_count(cumulative, edges, r - 0.5),
            self._quantile_at_count(cumulative, edges, r + q - 0.5),
        )
        # Shortest: for each lower edge i, the first edge j with C[j] >= C[i] + q, then
        # linear interpolation inside bin j; scanned in blocks to bound the temporaries.
        best_length = math.inf
        shortest = symmetric
        total = cumulative[-1]
        for start in range(0, HISTOGRAM_BINS, _DIFF_CHUNK // 16):
            stop = min(start + _DIFF_CHUNK // 16, HISTOGRAM_BINS)
            targets = cumulative[start:stop] + q
            usable = int(np.count_nonzero(targets <= total))
            if usable == 0:
                break
            targets = targets[:usable]
            j = np.clip(np.searchsorted(cumulative, targets, side="left"), 1, HISTOGRAM_BINS)
            below = cumulative[j - 1]
            inside = cumulative[j] - below
            fraction = np.where(inside > 0, (targets - below) / np.maximum(inside, 1), 0.0)
            upper = edges[j - 1] + fraction * self._width
            lengths = upper - edges[start : start + usable]
            best = int(np.argmin(lengths))
            if lengths[best] < best_length:
                best_length = float(lengths[best])
                shortest = (float(edges[start + best]), float(upper[best]))
        return symmetric, shortest

    def histogram(self, bins: int = _PLOT_BINS) -> Histogram:
        """A plotting histogram over the central 99.9 % of the values."""
        values = self.sorted_values()
        if values is not None:
            lo = float(values[int(0.0005 * (values.size - 1))])
            hi = float(values[math.ceil(0.9995 * (values.size - 1))])
            if hi <= lo:
                hi = lo + max(abs(lo), 1.0) * 1e-9
            counts, edges = np.histogram(values, bins=bins, range=(lo, hi))
            counts = counts.astype(np.int64)
            return Histogram(counts=counts, edges=edges, outside=int(values.size - counts.sum()))
        counts_fine = self._counts
        if counts_fine is None:  # pragma: no cover
            return Histogram(np.zeros(0, dtype=np.int64), np.zeros(1), 0)
        cumulative = np.concatenate([[0], np.cumsum(counts_fine)])
        fine_edges = self._low + self._width * np.arange(HISTOGRAM_BINS + 1, dtype=np.float64)
        lo = self._quantile_at_count(cumulative, fine_edges, 0.0005 * self.count)
        hi = self._quantile_at_count(cumulative, fine_edges, 0.9995 * self.count)
        edges = np.linspace(lo, hi, bins + 1)
        at_edges = np.interp(edges, fine_edges, cumulative.astype(np.float64))
        counts = np.diff(np.round(at_edges)).astype(np.int64)
        return Histogram(counts=counts, edges=edges, outside=int(self.count - counts.sum()))
