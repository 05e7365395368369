"""Altair charts and tables of PT scores (used by the ILC pages; not a page itself).

* En chart: each participant's En with its band En ± 1 (the band crosses zero exactly
  when |En| < 1: En is the deviation in units of its expanded uncertainty) and the
  ±limit acceptance band (ISO 13528:2022 9.7);
* z chart: z or z′ per participant with the warning (±2) and action (±3) lines
  (ISO 13528:2022 9.4, 9.5);
* history chart: the lab's z and En per round over time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from ilc.records import PTResult, PTScore

__all__ = [
    "VERDICT_COLOURS",
    "en_chart",
    "history_chart",
    "score_frame",
    "style_verdicts",
    "z_chart",
]

VERDICT_COLOURS: dict[str, str] = {
    "satisfactory": "#1a7f37",
    "questionable": "#b35900",
    "unsatisfactory": "#cf222e",
}
_WORDS = {
    "satisfactory": "satisfactory",
    "questionable": "questionable (warning)",
    "unsatisfactory": "UNSATISFACTORY (action)",
}


def _word(verdict: str | None) -> str:
    return "not scored" if verdict is None else _WORDS.get(verdict, verdict)


def score_frame(pairs: Sequence[tuple[PTResult, PTScore]]) -> pd.DataFrame:
    """One row per result: value, U, k, D, En, z/z′, ζ and the verdicts in words."""
    rows: list[dict[str, Any]] = []
    for result, score in pairs:
        z = score.z_prime if score.z_choice == "z_prime" else score.z
        rows.append(
            {
                "participant": result.participant + (" (our lab)" if result.is_own_lab else ""),
                "own": result.is_own_lab,
                "value": result.value,
                "U": result.expanded_uncertainty,
                "k": result.coverage_factor,
                "D": score.deviation,
                "D %": score.d_percent,
                "En": score.en,
                "z": z,
                "z or z′": "z′" if score.z_choice == "z_prime" else "z",
                "ζ": score.zeta,
                "En verdict": _word(score.en_verdict),
                "z verdict": _word(score.z_verdict),
                "ζ verdict": _word(score.zeta_verdict),
                "U(D)": score.doe_expanded_uncertainty,
                "flag": score.uncertainty_flag,
            }
        )
    return pd.DataFrame(rows)


def _colour_cell(text: object) -> str:
    for verdict, colour in VERDICT_COLOURS.items():
        if isinstance(text, str) and text.lower().startswith(verdict[:6]):
            return f"color: {colour}; font-weight: 600"
    return ""


def style_verdicts(frame: pd.DataFrame) -> Any:
    """A pandas Styler colouring the verdict columns (green, orange, red)."""
    columns: list[Any] = [c for c in frame.columns if str(c).endswith("verdict")]
    formats = {
        "value": "{:.10g}",
        "U": "{:.2g}",
        "k": "{:.3g}",
        "D": "{:.3g}",
        "D %": "{:.3g}",
        "En": "{:.2f}",
        "z": "{:.2f}",
        "ζ": "{:.2f}",
        "U(D)": "{:.2g}",
    }
    present: dict[Any, Any] = {k: v for k, v in formats.items() if k in frame.columns}
    return frame.style.map(_colour_cell, subset=columns).format(present, na_rep="–")


def en_chart(frame: pd.DataFrame, en_limit: float = 1.0) -> alt.LayerChart | alt.FacetChart:
    """En per participant with its ±1 band and the ±limit acceptance band."""
    data = frame.dropna(subset=["En"]).assign(
        low=lambda f: f["En"] - 1.0, high=lambda f: f["En"] + 1.0
    )
    order = list(data["participant"])
    base = alt.Chart(data).encode(x=alt.X("participant:N", sort=order, title=None))
    band = (
        alt.Chart(pd.DataFrame({"lo": [-en_limit], "hi": [en_limit]}))
        .mark_rect(opacity=0.12, color="#1a7f37")
        .encode(y="lo:Q", y2="hi:Q")
    )
    bars = base.mark_rule(strokeWidth=2).encode(
        y=alt.Y("low:Q", title="En"), y2="high:Q", color=alt.value("#57606a")
    )
    points = base.mark_point(filled=True, size=70).encode(
        y="En:Q",
        color=alt.Color(
            "En verdict:N",
            scale=alt.Scale(
                domain=[_WORDS["satisfactory"], _WORDS["unsatisfactory"]],
                range=[VERDICT_COLOURS["satisfactory"], VERDICT_COLOURS["unsatisfactory"]],
            ),
            legend=alt.Legend(title="En verdict", orient="bottom"),
        ),
        shape=alt.Shape("own:N", legend=alt.Legend(title="our lab", orient="bottom")),
        tooltip=["participant", "En", "En verdict"],
    )
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color="black").encode(y="y:Q")
    return alt.layer(band, zero, bars, points).properties(height=320, title="En with ±1 bands")


def z_chart(frame: pd.DataFrame) -> alt.LayerChart | alt.FacetChart:
    """z (or z′) per participant with ±2 (warning) and ±3 (action) lines."""
    data = frame.dropna(subset=["z"])
    order = list(data["participant"])
    points = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("participant:N", sort=order, title=None),
            y=alt.Y("z:Q", title="z / z′"),
            color=alt.Color(
                "z verdict:N",
                scale=alt.Scale(
                    domain=[_WORDS[v] for v in VERDICT_COLOURS],
                    range=list(VERDICT_COLOURS.values()),
                ),
                legend=alt.Legend(title="z verdict", orient="bottom"),
            ),
            tooltip=["participant", "z", "z verdict"],
        )
    )
    lines = pd.DataFrame(
        {"y": [-3.0, -2.0, 2.0, 3.0], "kind": ["action", "warning", "warning", "action"]}
    )
    rules = (
        alt.Chart(lines)
        .mark_rule(strokeDash=[6, 4])
        .encode(
            y="y:Q",
            color=alt.Color(
                "kind:N",
                scale=alt.Scale(
                    domain=["warning", "action"],
                    range=[VERDICT_COLOURS["questionable"], VERDICT_COLOURS["unsatisfactory"]],
                ),
                legend=None,
            ),
        )
    )
    layered: alt.LayerChart = alt.layer(rules, points).resolve_scale(color="independent")
    return layered.properties(height=320, title="z scores with ±2 / ±3 lines")


def history_chart(points: pd.DataFrame) -> alt.LayerChart | alt.FacetChart:
    """The lab's z and En per round over time, with the ±2/±3 and ±1 lines."""
    long = points.melt(
        id_vars=["date", "round"],
        value_vars=["z", "En"],
        var_name="score",
        value_name="score value",
    ).dropna(subset=["score value"])
    line = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("date:T", title="round closing date"),
            y=alt.Y("score value:Q", title="score"),
            color=alt.Color("score:N", legend=alt.Legend(orient="bottom")),
            tooltip=["round", "date:T", "score", "score value"],
        )
    )
    rules = (
        alt.Chart(pd.DataFrame({"y": [-3.0, -2.0, -1.0, 1.0, 2.0, 3.0]}))
        .mark_rule(strokeDash=[4, 4], color="#8c959f")
        .encode(y="y:Q")
    )
    return alt.layer(rules, line).properties(height=300)
