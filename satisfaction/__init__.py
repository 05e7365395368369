"""Customer-satisfaction feedback and metrics with confidence intervals and control charts.

Public API of the pure engine (``intervals``, ``metrics``, ``control``,
``triggers``, ``tokens``), the documents (``schema``) and the report assembly
(``report``). Database records and services come in ``records.py`` /
``service.py``.
"""

from satisfaction.control import (
    ChartPoint,
    ControlChart,
    PeriodCount,
    month_of,
    month_range,
    p_chart,
    rolling_windows,
    u_chart,
)
from satisfaction.intervals import (
    garwood_interval,
    nps_adjusted_wald_interval,
    t_interval,
    wilson_interval,
)
from satisfaction.metrics import (
    ComplaintRate,
    DimensionSummary,
    NetPromoterScore,
    ProportionEstimate,
    Turnaround,
    complaint_rate,
    csat,
    dimension_summary,
    dissatisfied_count,
    net_promoter_score,
    on_time_delivery,
    proportion,
    response_rate,
    turnaround_days,
)
from satisfaction.report import build_report, format_report
from satisfaction.schema import (
    FeedbackSubmission,
    SatisfactionReportDocument,
    parse_complaints_csv,
    parse_jobs_csv,
    parse_responses_csv,
    validate_submission,
)
from satisfaction.tokens import IssuedToken, hash_token, is_expired, issue_token, token_matches
from satisfaction.triggers import Signal, chart_signals, csat_target_signal

__all__ = [
    "ChartPoint",
    "ComplaintRate",
    "ControlChart",
    "DimensionSummary",
    "FeedbackSubmission",
    "IssuedToken",
    "NetPromoterScore",
    "PeriodCount",
    "ProportionEstimate",
    "SatisfactionReportDocument",
    "Signal",
    "Turnaround",
    "build_report",
    "chart_signals",
    "complaint_rate",
    "csat",
    "csat_target_signal",
    "dimension_summary",
    "dissatisfied_count",
    "format_report",
    "garwood_interval",
    "hash_token",
    "is_expired",
    "issue_token",
    "month_of",
    "month_range",
    "net_promoter_score",
    "nps_adjusted_wald_interval",
    "on_time_delivery",
    "p_chart",
    "parse_complaints_csv",
    "parse_jobs_csv",
    "parse_responses_csv",
    "proportion",
    "response_rate",
    "rolling_windows",
    "t_interval",
    "token_matches",
    "turnaround_days",
    "u_chart",
    "validate_submission",
    "wilson_interval",
]
