"""JSON documents of the PT records (``calib ilc rounds | history | coverage --json``).

Pure pydantic models (no database): built by :mod:`ilc.service`, printed by the CLI,
read by the pages. ``calib schema ilc-rounds``, ``ilc-history``, ``ilc-coverage``.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict

__all__ = ["CoverageRow", "HistoryPoint", "MeasurandHistory", "RoundSummary", "SignalOut"]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RoundSummary(_Doc):
    """One row of the round list (latest version of each round)."""

    id: int
    code: str
    scheme: str
    provider: str
    measurand: str
    unit: str
    subdiscipline: str | None
    site: str | None
    opened_on: dt.date
    closes_on: dt.date
    method: str
    status: str
    version: int
    results: int
    own_participant: str | None
    own_en: float | None
    own_z: float | None
    own_verdict: str | None


class SignalOut(_Doc):
    """An action signal of the history (ISO 13528:2022 9.4.2, 9.7.2; ISO 7870-2)."""

    code: str
    round: str
    message: str
    reference: str


class HistoryPoint(_Doc):
    """The lab's result and scores in one scored round."""

    round_id: int
    round: str
    date: dt.date
    value: float
    unit: str
    assigned_value: float
    en: float | None
    z: float | None
    z_choice: str | None
    zeta: float | None
    en_verdict: str | None
    z_verdict: str | None


class MeasurandHistory(_Doc):
    """Output of ``calib ilc history --json``: points oldest first and the signals."""

    measurand: str
    en_limit: float
    window: int
    points: list[HistoryPoint]
    signals: list[SignalOut]


class CoverageRow(_Doc):
    """PT-plan coverage of one sub-discipline at one site (ILAC P9 4.2)."""

    subdiscipline: str
    name: str
    site: str
    cycle_start: dt.date
    cycle_end: dt.date
    min_rounds: int
    rounds_in_cycle: int
    last_participation: dt.date | None
    next_due: dt.date
    status: str
