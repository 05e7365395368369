"""The certification cycle as a timeline with due / overdue states at a date.

Facts copied from the IECQ FAQ:

* The conformity-assessment certification steps: determine the applicable
  standards and specifications; select an (IECQ) certification body; testing and
  evaluation; report generation (findings and corrective actions); certification
  (issue of the certificate); surveillance (periodic, by the certification body).
* "IECQ certification is valid for three years and requires surveillance audits";
  IECQ 03-2 process certificates have "a validity period typically matching the
  APL scheme at 3 years".

The surveillance interval (12 months by default) is a parameter: the FAQ says
"periodic"; annual surveillance is the common practice of certification bodies
(ISO/IEC 17021-1:2015 9.6.2.2 requires at least once a calendar year).

References
----------
IECQ FAQ "Conformity assessment certification process" and "validity of IECQ
certification"; ISO/IEC 17021-1:2015 9.6.2.2.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from uncertainty.errors import InvalidInputError

__all__ = [
    "CERTIFICATION_STEPS",
    "CertificationCycle",
    "CycleStep",
    "add_months",
    "certification_cycle",
]

CERTIFICATION_STEPS: tuple[tuple[str, str], ...] = (
    ("applicable_standards", "Determine the applicable standards and specifications"),
    ("certification_body", "Select an IECQ certification body"),
    ("evaluation", "Testing and evaluation by the certification body"),
    ("report", "Report generation (findings, corrective actions)"),
    ("certification", "Certification: the certificate is issued"),
)
"""The steps before and at certification, in order (IECQ FAQ)."""

StepState = Literal["done", "overdue", "due", "upcoming"]


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class CycleStep:
    """One step of the cycle: its due date, completion date and state at ``as_of``."""

    key: str
    title: str
    due: date
    done_on: date | None
    state: StepState


@dataclass(frozen=True)
class CertificationCycle:
    """A certification cycle at a date."""

    certified_on: date
    valid_until: date
    as_of: date
    steps: tuple[CycleStep, ...]

    @property
    def valid(self) -> bool:
        """Whether the certificate is valid at ``as_of`` (issue date to expiry, inclusive)."""
        return self.certified_on <= self.as_of <= self.valid_until

    def overdue(self) -> list[CycleStep]:
        """The steps overdue at ``as_of``."""
        return [s for s in self.steps if s.state == "overdue"]


def certification_cycle(
    *,
    certified_on: date,
    as_of: date,
    completed: Mapping[str, date] | None = None,
    validity_years: int = 3,
    surveillance_interval_months: int = 12,
    due_soon_days: int = 60,
) -> CertificationCycle:
    """The cycle of a certificate issued on ``certified_on``, evaluated at ``as_of``.

    Steps before certification are due on ``certified_on`` (``certification``
    itself is done then). Surveillance ``surveillance_1``, ``surveillance_2``, ...
    falls every ``surveillance_interval_months`` before expiry; ``recertification``
    is due at expiry (``certified_on`` + ``validity_years``, minus one day). State
    at ``as_of``: ``done`` when ``completed`` has the step, ``overdue`` past the
    due date, ``due`` within ``due_soon_days`` of it, else ``upcoming``.

    Raises
    ------
    InvalidInputError
        Non-positive validity or interval, or an unknown step key in ``completed``.

    Examples
    --------
    >>> c = certification_cycle(certified_on=date(2024, 3, 1), as_of=date(2025, 4, 1))
    >>> [(s.key, s.state) for s in c.steps][-3:]
    [('surveillance_1', 'overdue'), ('surveillance_2', 'upcoming'), ('recertification', 'upcoming')]
    """
    if validity_years < 1:
        raise InvalidInputError(
            f"validity_years must be >= 1, got {validity_years}", field="validity_years"
        )
    if surveillance_interval_months < 1:
        raise InvalidInputError(
            f"surveillance_interval_months must be >= 1, got {surveillance_interval_months}",
            field="surveillance_interval_months",
        )
    done = dict(completed or {})
    done.setdefault("certification", certified_on)
    valid_until = add_months(certified_on, 12 * validity_years) - timedelta(days=1)
    planned: list[tuple[str, str, date]] = [(k, t, certified_on) for k, t in CERTIFICATION_STEPS]
    number = 1
    while True:
        due = add_months(certified_on, number * surveillance_interval_months)
        if due >= valid_until:
            break
        planned.append((f"surveillance_{number}", f"Surveillance audit {number}", due))
        number += 1
    planned.append(("recertification", "Recertification before expiry", valid_until))
    keys = {k for k, _, _ in planned}
    unknown = sorted(set(done) - keys)
    if unknown:
        raise InvalidInputError(
            f"unknown step(s) {unknown}; steps are {sorted(keys)}", field="completed"
        )
    steps = []
    for key, title, due in planned:
        done_on = done.get(key)
        state: StepState
        if done_on is not None and done_on <= as_of:
            state = "done"
        elif as_of > due:
            state = "overdue"
        elif (due - as_of).days <= due_soon_days:
            state = "due"
        else:
            state = "upcoming"
        steps.append(CycleStep(key, title, due, done_on if state == "done" else None, state))
    return CertificationCycle(certified_on, valid_until, as_of, tuple(steps))
