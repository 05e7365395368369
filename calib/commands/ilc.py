"""`calib ilc` commands: score an inter-laboratory comparison (CONTRACTS.md section 3);
rounds, import, score-round, history and coverage on the database."""

from __future__ import annotations

from pathlib import Path

import typer

from calib.cli_support import EXIT_FINDINGS, EXIT_OK, cli_errors, dump_json, read_json_file
from calib.permissions import Principal

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


# ------------------------------------------------------------------ rounds in the database


def _operator() -> Principal:
    import getpass

    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = "operator"
    return Principal(username=f"cli:{login}", role="admin")


@app.command("rounds")
@cli_errors
def rounds(
    status: str | None = typer.Option(None, "--status", help="open, closed or scored."),
    subdiscipline: str | None = typer.Option(
        None, "--subdiscipline", help="Sub-discipline code, e.g. DCV."
    ),
    site: str | None = typer.Option(None, "--site", help="Site code, e.g. MAIN."),
    json_output: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List the PT rounds in the database (latest version of each), newest first."""
    from calib.db import ensure_database, session_scope
    from calib.lab import list_sites
    from ilc.records import ROUND_STATUSES
    from ilc.service import list_rounds, list_subdisciplines
    from uncertainty.errors import InvalidInputError

    if status is not None and status not in ROUND_STATUSES:
        raise InvalidInputError(
            f"--status must be one of {', '.join(ROUND_STATUSES)}, got {status!r}",
            field="--status",
        )
    actor = _operator()
    with session_scope(ensure_database()) as session:
        sub_id = site_id = None
        if subdiscipline is not None:
            codes = {s.code: s.id for s in list_subdisciplines(session, actor)}
            if subdiscipline not in codes:
                raise InvalidInputError(
                    f"unknown sub-discipline {subdiscipline!r}; known: {', '.join(codes) or 'none'}",
                    field="--subdiscipline",
                )
            sub_id = codes[subdiscipline]
        if site is not None:
            sites = {s.code: s.id for s in list_sites(session, actor)}
            if site not in sites:
                raise InvalidInputError(
                    f"unknown site {site!r}; known: {', '.join(sites)}", field="--site"
                )
            site_id = sites[site]
        summaries = list_rounds(
            session, actor, status=status, subdiscipline_id=sub_id, site_id=site_id
        )
    if json_output:
        dump_json([s.model_dump(mode="json") for s in summaries])
        return
    for s in summaries:
        verdict = s.own_verdict or "-"
        typer.echo(
            f"{s.id:>4}  {s.code:<20} {s.status:<7} {s.closes_on}  {s.measurand} [{s.unit}]"
            f"  {s.results} results  own: {verdict}"
        )


@app.command("import")
@cli_errors
def import_(
    file: Path = typer.Argument(..., help="Results as CSV, Excel (.xlsx) or JSON."),
    round_id: int = typer.Option(..., "--round", help="Id of an open round."),
    replace: bool = typer.Option(
        False, "--replace", help="Delete results of participants not in the file."
    ),
) -> None:
    """Import results into an open round (nothing is stored if any cell is bad)."""
    from calib.db import ensure_database, session_scope
    from ilc.service import import_results
    from uncertainty.errors import InvalidInputError

    try:
        data = file.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"cannot read {file}: {exc.strerror}", field=str(file)) from exc
    with session_scope(ensure_database()) as session:
        stored = import_results(session, _operator(), round_id, data, file.name, replace=replace)
    typer.echo(f"stored {len(stored)} result(s) in round {round_id}")


@app.command("score-round")
@cli_errors
def score_round_(
    round_id: int = typer.Argument(..., help="Id of an open or closed round."),
    json_output: bool = typer.Option(False, "--json", help="Print the ScoreReportDocument."),
) -> None:
    """Score a stored round, store its scores, open actions for unsatisfactory own results.

    Exit 0 all satisfactory or questionable, 1 any unsatisfactory, 2 bad input.
    """
    import datetime as dt

    from calib.db import ensure_database, session_scope
    from ilc.service import score_round

    with session_scope(ensure_database()) as session:
        outcome = score_round(session, _operator(), round_id, as_of=dt.date.today())
        references = [nc.reference for nc in outcome.nonconformities]
    if json_output:
        dump_json(outcome.report)
    else:
        typer.echo(f"round {round_id} scored: {len(outcome.scores)} results")
        for reference in references:
            typer.echo(f"nonconformity opened: {reference}")
    raise typer.Exit(EXIT_FINDINGS if outcome.report.any_unsatisfactory else EXIT_OK)


@app.command("history")
@cli_errors
def history(
    measurand: str = typer.Option(..., "--measurand", help="Measurand as stored in the rounds."),
    en_limit: float = typer.Option(1.0, "--en-limit", help="|En| at or above this is a signal."),
    window: int = typer.Option(4, "--window", help="Rounds in the rescaled sum of z."),
    site: str | None = typer.Option(None, "--site", help="Only rounds of this site code."),
    json_output: bool = typer.Option(False, "--json", help="Print the MeasurandHistory."),
) -> None:
    """The lab's own scores for one measurand with the action signals.

    Exit 0 no signal, 1 at least one action signal, 2 bad input.
    """
    from calib.db import ensure_database, session_scope
    from calib.lab import list_sites
    from ilc.service import measurand_history
    from uncertainty.errors import InvalidInputError

    actor = _operator()
    with session_scope(ensure_database()) as session:
        site_id = None
        if site is not None:
            sites = {s.code: s.id for s in list_sites(session, actor)}
            if site not in sites:
                raise InvalidInputError(f"unknown site {site!r}", field="--site")
            site_id = sites[site]
        result = measurand_history(
            session, actor, measurand, en_limit=en_limit, window=window, site_id=site_id
        )
    if json_output:
        dump_json(result)
    else:
        typer.echo(f"{result.measurand}: {len(result.points)} scored rounds")
        for p in result.points:
            typer.echo(
                f"  {p.date}  {p.round:<20} En {_fmt(p.en, 2):>7}  z {_fmt(p.z, 2):>7}"
                f"  {_WORDS[p.en_verdict]} / {_WORDS[p.z_verdict]}"
            )
        for s in result.signals:
            typer.echo(f"SIGNAL {s.code} in {s.round}: {s.message} ({s.reference})")
    raise typer.Exit(EXIT_FINDINGS if result.signals else EXIT_OK)


@app.command("coverage")
@cli_errors
def coverage(
    as_of: str | None = typer.Option(None, "--as-of", help="Date YYYY-MM-DD (default today)."),
    json_output: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """PT-plan coverage per sub-discipline and site (ILAC P9). Exit 1 if any is overdue."""
    import datetime as dt

    from calib.db import ensure_database, session_scope
    from ilc.service import pt_coverage
    from uncertainty.errors import InvalidInputError

    try:
        day = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    except ValueError:
        raise InvalidInputError(
            f"--as-of must be YYYY-MM-DD, got {as_of!r}", field="--as-of"
        ) from None
    with session_scope(ensure_database()) as session:
        rows = pt_coverage(session, _operator(), as_of=day)
    if json_output:
        dump_json([r.model_dump(mode="json") for r in rows])
    else:
        for r in rows:
            typer.echo(
                f"{r.site:<6} {r.subdiscipline:<5} {r.status:<8} last {r.last_participation or '-'}"
                f"  next due {r.next_due}  ({r.rounds_in_cycle}/{r.min_rounds} in cycle)"
            )
    raise typer.Exit(EXIT_FINDINGS if any(r.status == "overdue" for r in rows) else EXIT_OK)


_ROUND_FLAGS = {
    "code": "--code",
    "measurand": "--measurand",
    "unit": "--unit",
    "opened_on": "--opened",
    "closes_on": "--closes",
    "method": "--method",
    "reference_value": "--reference-value",
    "reference_expanded_uncertainty": "--reference-U",
    "reference_coverage_factor": "--reference-k",
    "sigma_pt": "--sigma-pt",
    "en_limit": "--en-limit",
    "doe_convention": "--doe",
}


@app.command("create-round")
@cli_errors
def create_round_(
    scheme: str = typer.Option(..., "--scheme", help="Scheme id or scheme name."),
    code: str = typer.Option(..., "--code", help="Round code, e.g. EURAMET-DCV-2027."),
    measurand: str = typer.Option(..., "--measurand", help="What is measured."),
    unit: str = typer.Option(..., "--unit", help="Unit of the results, e.g. V."),
    opened: str = typer.Option(..., "--opened", help="Opened on, YYYY-MM-DD."),
    closes: str = typer.Option(..., "--closes", help="Closes on, YYYY-MM-DD."),
    method: str = typer.Option("reference", "--method", help="Assigned-value method."),
    reference_value: float | None = typer.Option(
        None, "--reference-value", help="Reference value (method reference)."
    ),
    reference_u: float | None = typer.Option(
        None, "--reference-U", help="Expanded uncertainty of the reference value."
    ),
    reference_k: float | None = typer.Option(
        None, "--reference-k", help="Coverage factor of the reference value (default 2)."
    ),
    sigma_pt: float | None = typer.Option(None, "--sigma-pt", help="sigma_pt for z scores."),
    en_limit: float = typer.Option(1.0, "--en-limit", help="|En| limit (default 1.0)."),
    doe: str = typer.Option(
        "covariance", "--doe", help="DoE convention: covariance or independent."
    ),
    subdiscipline: str | None = typer.Option(
        None, "--subdiscipline", help="Sub-discipline code, e.g. DCV."
    ),
    site: str | None = typer.Option(None, "--site", help="Site code, e.g. MAIN."),
    own_participant: str = typer.Option(
        "", "--own-participant", help="Our participant code in the round."
    ),
    json_output: bool = typer.Option(False, "--json", help="Print the created round as JSON."),
) -> None:
    """Create an open PT round (ISO/IEC 17025:2017 7.7.2). Exit 2 naming the bad flag."""
    import datetime as dt

    from calib.db import ensure_database, session_scope
    from calib.lab import list_sites
    from ilc.service import create_round, list_schemes, list_subdisciplines
    from uncertainty.errors import InvalidInputError

    days: dict[str, dt.date] = {}
    for flag, text in (("--opened", opened), ("--closes", closes)):
        try:
            days[flag] = dt.date.fromisoformat(text)
        except ValueError:
            raise InvalidInputError(
                f"{flag} must be YYYY-MM-DD, got {text!r}", field=flag
            ) from None
    actor = _operator()
    with session_scope(ensure_database()) as session:
        schemes = list_schemes(session, actor)
        found = [s for s in schemes if str(s.id) == scheme or s.name == scheme]
        if not found:
            known = ", ".join(f"{s.id} ({s.name})" for s in schemes) or "none"
            raise InvalidInputError(
                f"--scheme: unknown scheme {scheme!r}; known: {known}", field="--scheme"
            )
        sub_id = site_id = None
        if subdiscipline is not None:
            codes = {s.code: s.id for s in list_subdisciplines(session, actor)}
            if subdiscipline not in codes:
                raise InvalidInputError(
                    f"--subdiscipline: unknown sub-discipline {subdiscipline!r}; "
                    f"known: {', '.join(codes) or 'none'}",
                    field="--subdiscipline",
                )
            sub_id = codes[subdiscipline]
        if site is not None:
            sites = {s.code: s.id for s in list_sites(session, actor)}
            if site not in sites:
                raise InvalidInputError(
                    f"--site: unknown site {site!r}; known: {', '.join(sites)}", field="--site"
                )
            site_id = sites[site]
        try:
            created = create_round(
                session,
                actor,
                scheme_id=int(found[0].id or 0),
                code=code,
                measurand=measurand,
                unit=unit,
                opened_on=days["--opened"],
                closes_on=days["--closes"],
                method=method,
                reference_value=reference_value,
                reference_expanded_uncertainty=reference_u,
                reference_coverage_factor=reference_k,
                sigma_pt=sigma_pt,
                en_limit=en_limit,
                doe_convention=doe,
                subdiscipline_id=sub_id,
                site_id=site_id,
                own_participant=own_participant,
            )
        except InvalidInputError as exc:
            flag = _ROUND_FLAGS.get(exc.field or "", exc.field or "")
            raise InvalidInputError(f"{flag}: {exc}", field=flag) from None
        doc = created.model_dump(mode="json")
    if json_output:
        dump_json(doc)
    else:
        typer.echo(f"created round {doc['id']} {doc['code']} (open)")
