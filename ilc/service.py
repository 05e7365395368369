"""Proficiency testing in the lab: the services of the ``ilc`` domain, in one place.

Services take ``(session, actor, ...)``, check permissions (``calib.permissions``) and
write through ``calib.audit``. They are grouped by concept in three modules, which this
facade re-exports so that callers import from ``ilc.service`` only:

* :mod:`calib.ilc_rounds` -- schemes, sub-disciplines, the PT plan, rounds, versions
  and results entry/import (the entry side; ISO/IEC 17025:2017 7.7.2);
* :mod:`calib.ilc_scoring` -- :func:`score_round` stores the engine's scores and
  :func:`open_actions_for_round` opens a nonconformity with a corrective action per
  unsatisfactory own result (ISO/IEC 17025:2017 7.7.3, 7.10, 8.7);
* :mod:`calib.ilc_tracking` -- :func:`measurand_history` (ISO 13528:2022 9.4.2, 9.7.2
  signals) and :func:`pt_coverage` (ILAC P9:01/2024 4.2, 4.5).

They live under ``calib`` because the project allows database imports in a domain
package only in ``records.py`` and ``service.py`` (pyproject ``TID251``): the ``ilc``
package stays the pure engine plus its tables and this entry point.
"""

from __future__ import annotations

from calib.ilc_rounds import (
    close_round,
    create_round,
    create_scheme,
    create_subdiscipline,
    get_round,
    import_results,
    list_results,
    list_rounds,
    list_schemes,
    list_subdisciplines,
    new_round_version,
    round_scores,
    save_results,
    set_plan_item,
)
from calib.ilc_scoring import ScoringOutcome, open_actions_for_round, score_round
from calib.ilc_tracking import DUE_WITHIN_DAYS, list_measurands, measurand_history, pt_coverage
from ilc.documents import CoverageRow, HistoryPoint, MeasurandHistory, RoundSummary, SignalOut

__all__ = [
    "DUE_WITHIN_DAYS",
    "CoverageRow",
    "HistoryPoint",
    "MeasurandHistory",
    "RoundSummary",
    "ScoringOutcome",
    "SignalOut",
    "close_round",
    "create_round",
    "create_scheme",
    "create_subdiscipline",
    "get_round",
    "import_results",
    "list_measurands",
    "list_results",
    "list_rounds",
    "list_schemes",
    "list_subdisciplines",
    "measurand_history",
    "new_round_version",
    "open_actions_for_round",
    "pt_coverage",
    "round_scores",
    "save_results",
    "score_round",
    "set_plan_item",
]
