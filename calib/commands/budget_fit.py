"""`calib budget fit` (calibration curves, CONTRACTS.md section 2).

Reads a curve document, fits a straight line by OLS, WLS or WTLS and prints the
coefficients with their covariance and the predictions (``--json``), or a readable table.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from calib.cli_support import EXIT_OK, cli_errors, dump_json, read_json_file

if TYPE_CHECKING:
    from uncertainty.curve_schema import CurveResultDocument

__all__ = ["fit", "format_curve_table"]


def _number(value: float | None, digits: int = 6) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}g}"


def format_curve_table(result: CurveResultDocument) -> str:
    """Render a curve result as a plain-text table (what ``calib budget fit`` prints)."""
    x0 = _number(result.reference_x)
    lines = [
        f"{result.name or 'Calibration curve'} ({result.method.upper()})",
        f"y = a + b (x - {x0})"
        + (f"   x in {result.x_unit}" if result.x_unit else "")
        + (f", y in {result.y_unit}" if result.y_unit else ""),
        "",
        f"{'coefficient':<14}{'estimate':>16}{'std. uncertainty':>20}  unit",
        f"{'a (intercept)':<14}{_number(result.intercept.value):>16}"
        f"{_number(result.intercept.standard_uncertainty, 3):>20}  {result.intercept.unit}",
        f"{'b (slope)':<14}{_number(result.slope.value):>16}"
        f"{_number(result.slope.standard_uncertainty, 3):>20}  {result.slope.unit}",
        "",
        f"r(a, b) = {result.correlation:.4f}   residual s = "
        f"{_number(result.residual_standard_deviation, 3)}   dof = {result.dof}",
    ]
    if result.chi_squared is not None:
        verdict = "consistent" if result.consistent else "NOT consistent"
        lines.append(
            f"chi-squared = {_number(result.chi_squared, 4)} "
            f"(95 % quantile {_number(result.chi_squared_95, 4)}: {verdict})"
        )
    if result.predictions:
        lines += ["", f"{'x':>14}{'y(x)':>16}{'u(y(x))':>14}"]
        for p in result.predictions:
            lines.append(
                f"{_number(p.x):>14}{_number(p.value):>16}{_number(p.standard_uncertainty, 3):>14}"
            )
    lines += [f"warning: {w}" for w in result.warnings]
    return "\n".join(lines)


@cli_errors
def fit(
    file: Path = typer.Argument(..., help="Curve document (JSON), CONTRACTS.md section 2."),
    json_output: bool = typer.Option(False, "--json", help="Print the result document as JSON."),
) -> None:
    """Fit a calibration straight line (OLS, WLS or WTLS) with coefficient covariance."""
    from uncertainty.curve_schema import evaluate_curve

    result = evaluate_curve(read_json_file(file))
    if json_output:
        dump_json(result)
    else:
        typer.echo(format_curve_table(result))
    raise typer.Exit(EXIT_OK)
