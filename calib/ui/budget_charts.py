"""Charts of the budget editor: Pareto of contributions, Monte Carlo histogram (altair).

The histogram shows the Monte Carlo distribution of the output (as a probability
density), the GUF normal density N(y, u_c^2) (JCGM 101:2008 9.2, figures 3-5 draw the
same comparison), the GUF interval y +/- U_p and the probabilistically symmetric Monte
Carlo interval (JCGM 101:2008 7.7, 8.2).
"""

from __future__ import annotations

import math
from typing import Any

import altair as alt
import pandas as pd

__all__ = ["contributions_frame", "histogram_chart", "pareto_chart"]


def contributions_frame(output: Any) -> pd.DataFrame:
    """The EA-4/02 budget table of one output (``OutputResult``)."""
    rows = [
        {
            "quantity": c.input,
            "estimate": c.estimate,
            "unit": c.unit,
            "standard uncertainty": c.standard_uncertainty,
            "distribution": c.distribution,
            "sensitivity coefficient": c.sensitivity,
            "sensitivity unit": c.sensitivity_unit,
            f"contribution ({output.unit})": c.contribution,
            "dof": c.dof if c.dof is None or math.isfinite(c.dof) else None,
            "index %": round(c.percent, 1),
        }
        for c in output.contributions
    ]
    return pd.DataFrame(rows)


def pareto_chart(output: Any) -> alt.LayerChart | alt.FacetChart:
    """Contributions in decreasing order (bars, index %) with the cumulative share (line)."""
    rows = sorted(
        ({"quantity": c.input, "percent": c.percent} for c in output.contributions),
        key=lambda r: -float(r["percent"]),
    )
    total = 0.0
    for row in rows:
        total += float(row["percent"])
        row["cumulative"] = total
    frame = pd.DataFrame(rows)
    order = [str(r["quantity"]) for r in rows]
    base = alt.Chart(frame).encode(x=alt.X("quantity:N", sort=order, title="input"))
    bars = base.mark_bar().encode(
        y=alt.Y("percent:Q", title="index % (share of u_c²)"),
        tooltip=["quantity", alt.Tooltip("percent:Q", format=".1f")],
    )
    line = base.mark_line(point=True, color="#d62728").encode(y="cumulative:Q")
    return alt.layer(bars, line).properties(title="Pareto of contributions", height=260)


def _normal_pdf(x: float, mean: float, sd: float) -> float:
    return math.exp(-0.5 * ((x - mean) / sd) ** 2) / (sd * math.sqrt(2 * math.pi))


def histogram_chart(output: Any) -> alt.LayerChart | alt.FacetChart | None:
    """Monte Carlo histogram with the GUF normal curve and both intervals, or ``None``."""
    mc = output.monte_carlo
    if mc is None or not mc.histogram:
        return None
    counts = [float(c) for c in mc.histogram["counts"]]
    edges = [float(e) for e in mc.histogram["edges"]]
    width = edges[1] - edges[0] if len(edges) > 1 else 1.0
    total = sum(counts) or 1.0
    bins = pd.DataFrame(
        {
            "low": edges[:-1],
            "high": edges[1:],
            "density": [c / (total * width) for c in counts],
        }
    )
    unit = output.unit
    bars = (
        alt.Chart(bins)
        .mark_rect(opacity=0.55, color="#4c78a8")
        .encode(
            x=alt.X("low:Q", title=f"output ({unit})", scale=alt.Scale(zero=False)),
            x2="high:Q",
            y=alt.Y("density:Q", title="probability density"),
        )
    )
    layers: list[Any] = [bars]
    sd = output.standard_uncertainty
    if sd > 0:
        xs = [edges[0] + (edges[-1] - edges[0]) * i / 200 for i in range(201)]
        curve = pd.DataFrame({"x": xs, "density": [_normal_pdf(x, output.value, sd) for x in xs]})
        layers.append(
            alt.Chart(curve)
            .mark_line(color="#d62728")
            .encode(x="x:Q", y="density:Q", tooltip=[alt.Tooltip("x:Q", title="GUF normal")])
        )
    lines = pd.DataFrame(
        {
            "x": [
                output.interval[0],
                output.interval[1],
                mc.interval[0],
                mc.interval[1],
            ],
            "interval": ["GUF y ± U"] * 2 + ["Monte Carlo (symmetric)"] * 2,
        }
    )
    layers.append(
        alt.Chart(lines)
        .mark_rule(strokeDash=[4, 3])
        .encode(
            x="x:Q",
            color=alt.Color(
                "interval:N", scale=alt.Scale(range=["#d62728", "#2ca02c"]), title="interval"
            ),
            tooltip=["interval", alt.Tooltip("x:Q", format=".6g")],
        )
    )
    return alt.layer(*layers).properties(
        title=f"Monte Carlo, M = {mc.trials:,} (seed {mc.seed})", height=280
    )
