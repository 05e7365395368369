"""`calib ilc` commands: score an inter-laboratory comparison (CONTRACTS.md section 3)."""

from __future__ import annotations

from pathlib import Path

import typer

from calib.cli_support import EXIT_FINDINGS, EXIT_OK, cli_errors, dump_json, read_json_file

app = typer.Typer(
    help="Inter-laboratory comparisons and proficiency testing.", no_args_is_help=True
)


def _fmt(value: float | None, digits: int = 3) -> str:
    return (
        "-"
        if value is None
        else f"{value:.{digits}g}"
        if abs(value) >= 1e4
        else f"{value:.{digits}f}"
    )


_WORDS = {
    "satisfactory": "satisfactory",
    "questionable": "QUESTIONABLE",
    "unsatisfactory": "UNSATISFACTORY",
    None: "not scored",
}


@app.command("score")
@cli_errors
def score(
    file: Path = typer.Argument(..., help="Round as JSON (RoundDocument) or CSV."),
    json_output: bool = typer.Option(
        False, "--json", help="Print the ScoreReportDocument as JSON."
    ),
    reference_value: float | None = typer.Option(None, "--reference-value", help="CSV: x_pt."),
    reference_u: float | None = typer.Option(None, "--reference-U", help="CSV: U(x_pt)."),
    reference_k: float | None = typer.Option(None, "--reference-k", help="CSV: k of U(x_pt)."),
    method: str = typer.Option(
        "reference",
        "--method",
        help="CSV: reference, robust, median, weighted_mean or consensus_dl.",
    ),
    sigma_pt: float | None = typer.Option(None, "--sigma-pt", help="CSV: σ_pt for z and z′."),
    unit: str = typer.Option("", "--unit", help="CSV: unit of the results."),
    en_limit: float | None = typer.Option(
        None, "--en-limit", help="|En| at or above this is unsatisfactory (default 1.0)."
    ),
    doe_convention: str = typer.Option(
        "covariance",
        "--doe-convention",
        help="CSV: 'covariance' (contributors correlated with x_pt) or 'independent'.",
    ),
) -> None:
    """Score a round: assigned value, En, ζ, z/z′, verdicts and degrees of equivalence.

    Exit 0 all satisfactory or questionable, 1 any unsatisfactory, 2 bad input.
    """
    from ilc.schema import parse_round_document, read_round_csv, score_document
    from uncertainty.errors import InvalidInputError

    if file.suffix.lower() == ".csv":
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidInputError(f"cannot read {file}: {exc.strerror}", field=str(file)) from exc
        document = read_round_csv(
            text,
            method=method,
            reference_value=reference_value,
            reference_expanded_uncertainty=reference_u,
            reference_coverage_factor=reference_k,
            sigma_pt=sigma_pt,
            unit=unit,
            name=file.stem,
            en_limit=1.0 if en_limit is None else en_limit,
            doe_convention=doe_convention,
        )
    else:
        document = parse_round_document(read_json_file(file))
        if en_limit is not None:
            document = parse_round_document({**document.model_dump(), "en_limit": en_limit})
    report = score_document(document)
    if json_output:
        dump_json(report)
    else:
        av = report.assigned_value
        unit_text = f" {report.unit}" if report.unit else ""
        typer.echo(f"{report.name or file.name}")
        typer.echo(
            f"assigned value ({av.method}): {av.value:.10g}{unit_text}, "
            f"u = {av.standard_uncertainty:.3g}, U = {av.expanded_uncertainty:.3g}"
        )
        if report.sigma_pt is not None:
            typer.echo(f"sigma_pt: {report.sigma_pt:.3g}{unit_text}")
        if report.consistency.chi2 is not None:
            c = report.consistency
            verdict = "consistent" if c.consistent else "NOT consistent"
            typer.echo(f"chi2 = {c.chi2:.3g} (dof {c.dof}, p = {c.p_value:.3g}): {verdict}")
            if c.excluded:
                typer.echo(f"left out of the reference value: {', '.join(c.excluded)}")
        header = (
            f"{'participant':<14}{'D':>12}{'En':>8}{'zeta':>8}{'z/z′':>8}  verdicts (En / z / zeta)"
        )
        typer.echo(header)
        typer.echo("-" * len(header))
        for row in report.scores:
            z_value = row.z_prime if row.z_or_z_prime == "z_prime" else row.z
            words = " / ".join(_WORDS[v] for v in (row.en_verdict, row.z_verdict, row.zeta_verdict))
            typer.echo(
                f"{row.participant:<14}{row.deviation:>12.4g}{_fmt(row.en, 2):>8}"
                f"{_fmt(row.zeta, 2):>8}{_fmt(z_value, 2):>8}  {words}"
            )
    raise typer.Exit(EXIT_FINDINGS if report.any_unsatisfactory else EXIT_OK)
