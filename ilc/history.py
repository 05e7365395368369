"""Signals over several rounds for one measurand (the laboratory's own history).

Rules (each signal names its rule and reference):

* ``action_en`` / ``action_z``: one |En| >= en_limit or one |z| >= 3
  (ISO 13528:2022 9.4.2, 9.7.2: a single action signal).
* ``two_consecutive_warnings``: 2 <= |z| < 3 in two consecutive rounds
  (ISO 13528:2022 9.4.2 NOTE; ISO 7870-2:2023 Annex, "2 of 3 beyond 2σ").
* ``run_of_nine``: nine consecutive scores on the same side of zero
  (ISO 7870-2:2023 test 2, "nine points in a row on one side").
* ``rescaled_sum_z``: |RSZ| >= 3 over the last ``window`` z scores,
  RSZ = Σz/√n (ISO 13528:2005 7.6 (rescaled sum of z-scores); ISO 13528:2022 10.3
  combined scores, used with caution).

Input is plain data: one :class:`RoundPoint` per round in date order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from uncertainty.errors import InvalidInputError

__all__ = ["HistorySignal", "RoundPoint", "history_signals", "rescaled_sum_of_z"]


@dataclass(frozen=True)
class RoundPoint:
    """The lab's scores in one round (``None`` where not scored)."""

    round_id: str
    z: float | None = None
    en: float | None = None


@dataclass(frozen=True)
class HistorySignal:
    """One action signal: rule code, the round where it fires, a sentence, a reference."""

    code: str
    round_id: str
    message: str
    reference: str


def rescaled_sum_of_z(z: Sequence[float]) -> float:
    """RSZ = Σ z_i / sqrt(n).

    References
    ----------
    ISO 13528:2005 7.6 (combined scores); ISO 13528:2022 10.3.

    Examples
    --------
    >>> rescaled_sum_of_z([1.0, 1.0, 1.0, 1.0])
    2.0
    """
    if len(z) == 0:
        raise InvalidInputError("RSZ needs at least one z score", field="z")
    return float(sum(z) / math.sqrt(len(z)))


def history_signals(
    points: Sequence[RoundPoint], *, en_limit: float = 1.0, window: int = 4
) -> list[HistorySignal]:
    """All action signals in a laboratory's sequence of rounds (oldest first).

    Examples
    --------
    >>> pts = [RoundPoint("r1", z=2.1), RoundPoint("r2", z=-2.4), RoundPoint("r3", en=1.2)]
    >>> [s.code for s in history_signals(pts)]
    ['two_consecutive_warnings', 'action_en']
    """
    if window < 2:
        raise InvalidInputError(f"window must be >= 2, got {window}", field="window")
    signals: list[HistorySignal] = []
    run_sign = 0
    run_len = 0
    previous_warning = False
    z_seen: list[float] = []
    for point in points:
        if point.en is not None and abs(point.en) >= en_limit:
            signals.append(
                HistorySignal(
                    "action_en",
                    point.round_id,
                    f"|En| = {abs(point.en):.2f} >= {en_limit:g}",
                    "ISO 13528:2022 9.7.2",
                )
            )
        z = point.z
        if z is None:
            previous_warning = False
            continue
        if abs(z) >= 3.0:
            signals.append(
                HistorySignal(
                    "action_z", point.round_id, f"|z| = {abs(z):.2f} >= 3", "ISO 13528:2022 9.4.2"
                )
            )
        warning = 2.0 < abs(z) < 3.0
        if warning and previous_warning:
            signals.append(
                HistorySignal(
                    "two_consecutive_warnings",
                    point.round_id,
                    "2 < |z| < 3 in two consecutive rounds",
                    "ISO 13528:2022 9.4.2 NOTE",
                )
            )
        previous_warning = warning
        sign = (z > 0) - (z < 0)
        if sign != 0 and sign == run_sign:
            run_len += 1
        else:
            run_sign, run_len = sign, (1 if sign != 0 else 0)
        if run_len == 9:
            side = "above" if run_sign > 0 else "below"
            signals.append(
                HistorySignal(
                    "run_of_nine",
                    point.round_id,
                    f"nine consecutive z scores {side} zero",
                    "ISO 7870-2:2023 Table 3, test 2",
                )
            )
        z_seen.append(z)
        if len(z_seen) >= window:
            rsz = rescaled_sum_of_z(z_seen[-window:])
            if abs(rsz) >= 3.0:
                signals.append(
                    HistorySignal(
                        "rescaled_sum_z",
                        point.round_id,
                        f"RSZ over the last {window} rounds = {rsz:.2f}",
                        "ISO 13528:2005 7.6",
                    )
                )
    return signals
