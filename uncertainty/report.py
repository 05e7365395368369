"""Budget reports: the EA-4/02 table as text, Markdown and HTML; JSON export/import.

The table has the columns of EA-4/02 M:2022 (S1–S12 budgets): quantity X_i, estimate
x_i, standard uncertainty u(x_i), probability distribution, sensitivity coefficient c_i,
contribution to the standard uncertainty u_i(y) = |c_i|·u(x_i), degrees of freedom ν_i,
and the index (c_i u_i)²/u_c² in %. The last row gives the output estimate, u_c and
ν_eff; the GUM 7.2.6 statement follows the table.

References
----------
EA-4/02 M:2022, clause 8 and supplement 2 (budget tables); JCGM 100:2008 7.2.
"""

from __future__ import annotations

import html
import json
import math

from uncertainty.budget import parse_budget
from uncertainty.errors import InvalidInputError
from uncertainty.schema import BudgetDocument, BudgetResultDocument, OutputResult

__all__ = [
    "HEADERS",
    "budget_from_json",
    "budget_table_rows",
    "budget_to_json",
    "render_html",
    "render_markdown",
    "render_text",
]

HEADERS: tuple[str, ...] = (
    "Quantity X_i",
    "Estimate x_i",
    "Standard uncertainty u(x_i)",
    "Distribution",
    "Sensitivity coefficient c_i",
    "Contribution u_i(y)",
    "dof ν_i",
    "Index %",
)


def _num(value: float | None, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if math.isinf(value):
        return "∞"
    if value == 0:
        return "0"
    if abs(value) >= 1e6 or abs(value) < 1e-3:
        return f"{value:.{max(digits - 1, 1)}e}"
    return f"{value:.{max(digits, len(str(int(abs(value)))))}g}"


def _estimate(value: float | None) -> str:
    """Estimates keep their digits (shortest repr up to 12 significant digits)."""
    return "–" if value is None else f"{value:.12g}"


def _with_unit(text: str, unit: str) -> str:
    return f"{text} {unit}".rstrip() if unit else text


def budget_table_rows(name: str, output: OutputResult) -> list[list[str]]:
    """The EA-4/02 rows (strings) for one output, the output row last."""
    rows: list[list[str]] = []
    for c in output.contributions:
        rows.append(
            [
                c.input,
                _with_unit(_estimate(c.estimate), c.unit),
                _with_unit(_num(c.standard_uncertainty, 3), c.unit),
                c.distribution,
                _with_unit(_num(c.sensitivity, 4), c.sensitivity_unit),
                _with_unit(_num(c.contribution, 3), output.unit),
                _num(c.dof, 3),
                f"{c.percent:.1f}",
            ]
        )
    dof = output.effective_dof
    rows.append(
        [
            name,
            _with_unit(_estimate(output.value), output.unit),
            "",
            "",
            "",
            _with_unit(_num(output.standard_uncertainty, 3), output.unit),
            _num(dof, 3) if dof is not None else "undefined",
            "100.0",
        ]
    )
    return rows


def render_text(result: BudgetResultDocument) -> str:
    """Plain-text EA-4/02 table(s), statements and warnings."""
    parts: list[str] = []
    if result.name:
        parts.append(result.name)
    for name, output in result.outputs.items():
        rows = [list(HEADERS), *budget_table_rows(name, output)]
        widths = [max(len(r[i]) for r in rows) for i in range(len(HEADERS))]
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
            for r in rows
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        lines.insert(len(lines) - 1, "  ".join("-" * w for w in widths))
        parts.append("\n".join(lines))
        parts.append(output.statement)
        if output.monte_carlo is not None:
            mc = output.monte_carlo
            verdict = "validated" if mc.validation and mc.validation.validated else "NOT validated"
            parts.append(
                f"Monte Carlo (M = {mc.trials}, seed {mc.seed}): y = {mc.mean:.10g}, "
                f"u = {mc.standard_uncertainty:.3g}, symmetric [{mc.interval[0]:.10g}, "
                f"{mc.interval[1]:.10g}], shortest [{mc.shortest_interval[0]:.10g}, "
                f"{mc.shortest_interval[1]:.10g}]; GUF {verdict} (JCGM 101 8.2)"
            )
    for a, row in result.output_correlations.items():
        for b, r in row.items():
            parts.append(f"r({a}, {b}) = {r:.3f}")
    parts.extend(f"warning: {w}" for w in result.warnings)
    return "\n\n".join(parts) + "\n"


def render_markdown(result: BudgetResultDocument) -> str:
    """GitHub-flavoured Markdown table(s) in the EA-4/02 layout."""
    parts: list[str] = [f"## {result.name}"] if result.name else []
    for name, output in result.outputs.items():
        rows = budget_table_rows(name, output)
        lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
        for i, r in enumerate(rows):
            cells = [c.replace("|", "\\|") for c in r]
            if i == len(rows) - 1:
                cells = [f"**{c}**" if c else c for c in cells]
            lines.append("| " + " | ".join(cells) + " |")
        parts.append("\n".join(lines))
        parts.append(output.statement)
    parts.extend(f"> warning: {w}" for w in result.warnings)
    return "\n\n".join(parts) + "\n"


def render_html(result: BudgetResultDocument) -> str:
    """An HTML fragment (escaped) with the EA-4/02 table(s)."""
    esc = html.escape
    parts: list[str] = [f"<h2>{esc(result.name)}</h2>"] if result.name else []
    for name, output in result.outputs.items():
        rows = budget_table_rows(name, output)
        head = "".join(f"<th>{esc(h)}</th>" for h in HEADERS)
        body = []
        for i, r in enumerate(rows):
            tag = "th" if i == len(rows) - 1 else "td"
            body.append("<tr>" + "".join(f"<{tag}>{esc(c)}</{tag}>" for c in r) + "</tr>")
        parts.append(
            f'<table class="budget"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>"
        )
        parts.append(f"<p>{esc(output.statement)}</p>")
    parts.extend(f'<p class="warning">{esc(w)}</p>' for w in result.warnings)
    return "\n".join(parts)


def budget_to_json(document: BudgetDocument) -> str:
    """Export a budget document as JSON (unset fields omitted; round-trips)."""
    return json.dumps(
        document.model_dump(mode="json", exclude_unset=True), indent=2, ensure_ascii=False
    )


def budget_from_json(text: str) -> BudgetDocument:
    """Import a budget document from JSON text (validated; errors name the field)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"not valid JSON: {exc.msg} at line {exc.lineno}") from exc
    return parse_budget(data)
