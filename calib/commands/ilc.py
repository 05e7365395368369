"""`calib ilc` commands: score an inter-laboratory comparison (CONTRACTS.md section 3);
rounds, import, score-round, history and coverage on the database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from calib.cli_support import (
    EXIT_FINDINGS,
    EXIT_OK,
    cli_errors,
    cli_operator,
    dump_json,
    read_json_file,
)
from calib.permissions import Principal

if TYPE_CHECKING:
    from sqlmodel import Session, SQLModel

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


def _date(flag: str, text: str) -> dt.date:
    """A ``YYYY-MM-DD`` flag value, or exit 2 naming the flag."""
    from uncertainty.errors import InvalidInputError

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(f"{flag} must be YYYY-MM-DD, got {text!r}", field=flag) from None


def _subdiscipline_id(session: Session, actor: Principal, code: str) -> int:
    """Id of the sub-discipline ``code``, or exit 2 naming ``--subdiscipline``."""
    from ilc.service import list_subdisciplines
    from uncertainty.errors import InvalidInputError

    codes = {s.code: int(s.id or 0) for s in list_subdisciplines(session, actor)}
    if code not in codes:
        raise InvalidInputError(
            f"--subdiscipline: unknown sub-discipline {code!r}; known: "
            f"{', '.join(codes) or 'none'}",
            field="--subdiscipline",
        )
    return codes[code]


def _site_id(session: Session, actor: Principal, code: str) -> int:
    """Id of the site ``code``, or exit 2 naming ``--site``."""
    from calib.lab import list_sites
    from uncertainty.errors import InvalidInputError

    sites = {s.code: int(s.id or 0) for s in list_sites(session, actor)}
    if code not in sites:
        raise InvalidInputError(
            f"--site: unknown site {code!r}; known: {', '.join(sites)}", field="--site"
        )
    return sites[code]


def _create(
    call: Callable[[Session, Principal], SQLModel],
    flags: Mapping[str, str],
    json_output: bool,
    summary: Callable[[dict[str, Any]], str],
) -> None:
    """Run one create-or-update service in a session and print the record.

    A service error names a field (``cycle_years``); it is reported under its flag
    (``--cycle-years``, or the name in ``flags``) with exit 2. Errors that name a flag
    already (``--site``) pass unchanged.
    """
    from calib.db import ensure_database, session_scope
    from uncertainty.errors import InvalidInputError

    with session_scope(ensure_database()) as session:
        try:
            created = call(session, cli_operator())
        except InvalidInputError as exc:
            field = exc.field or ""
            if field.startswith("--"):
                raise
            flag = flags.get(field, "--" + field.replace("_", "-") if field else "")
            raise InvalidInputError(f"{flag}: {exc}", field=flag) from None
        doc = created.model_dump(mode="json")
    if json_output:
        dump_json(doc)
    else:
        typer.echo(summary(doc))


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
    actor = cli_operator()
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
        stored = import_results(session, cli_operator(), round_id, data, file.name, replace=replace)
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
    from calib.db import ensure_database, session_scope
    from ilc.service import score_round

    with session_scope(ensure_database()) as session:
        outcome = score_round(session, cli_operator(), round_id, as_of=dt.date.today())
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
    from ilc.service import measurand_history

    actor = cli_operator()
    with session_scope(ensure_database()) as session:
        site_id = None if site is None else _site_id(session, actor, site)
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
    from calib.db import ensure_database, session_scope
    from ilc.service import pt_coverage

    day = _date("--as-of", as_of) if as_of else dt.date.today()
    with session_scope(ensure_database()) as session:
        rows = pt_coverage(session, cli_operator(), as_of=day)
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
    from ilc.service import create_round, list_schemes
    from uncertainty.errors import InvalidInputError

    days = {flag: _date(flag, text) for flag, text in (("--opened", opened), ("--closes", closes))}

    def call(session: Session, actor: Principal) -> SQLModel:
        schemes = list_schemes(session, actor)
        found = [s for s in schemes if str(s.id) == scheme or s.name == scheme]
        if not found:
            known = ", ".join(f"{s.id} ({s.name})" for s in schemes) or "none"
            raise InvalidInputError(
                f"--scheme: unknown scheme {scheme!r}; known: {known}", field="--scheme"
            )
        return create_round(
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
            subdiscipline_id=(
                None if subdiscipline is None else _subdiscipline_id(session, actor, subdiscipline)
            ),
            site_id=None if site is None else _site_id(session, actor, site),
            own_participant=own_participant,
        )

    _create(
        call, _ROUND_FLAGS, json_output, lambda d: f"created round {d['id']} {d['code']} (open)"
    )


@app.command("create-scheme")
@cli_errors
def create_scheme_(
    provider: str = typer.Option(..., "--provider", help="PT provider, e.g. EURAMET."),
    name: str = typer.Option(..., "--name", help="Scheme or comparison programme name."),
    accredited: bool = typer.Option(
        False, "--accredited-17043", help="The provider is ISO/IEC 17043 accredited."
    ),
    website: str = typer.Option("", "--website", help="Provider web page."),
    json_output: bool = typer.Option(False, "--json", help="Print the created scheme as JSON."),
) -> None:
    """Register a PT scheme (ISO/IEC 17025:2017 7.7.2). Exit 2 naming the bad flag."""
    from ilc.service import create_scheme

    _create(
        lambda session, actor: create_scheme(
            session,
            actor,
            provider=provider,
            name=name,
            accredited_17043=accredited,
            website=website,
        ),
        {},
        json_output,
        lambda d: f"created scheme {d['id']} {d['provider']} / {d['name']}",
    )


@app.command("add-subdiscipline")
@cli_errors
def add_subdiscipline_(
    code: str = typer.Option(..., "--code", help="Short code, e.g. DCV."),
    name: str = typer.Option(..., "--name", help="Name, e.g. DC voltage."),
    quantity: str = typer.Option("", "--quantity", help="Quantity measured."),
    json_output: bool = typer.Option(False, "--json", help="Print it as JSON."),
) -> None:
    """Add a sub-discipline of the scope (ILAC P9:01/2024 4.2). Exit 2 naming the bad flag."""
    from ilc.service import create_subdiscipline

    _create(
        lambda session, actor: create_subdiscipline(
            session, actor, code=code, name=name, quantity=quantity
        ),
        {},
        json_output,
        lambda d: f"created sub-discipline {d['code']} ({d['name']})",
    )


@app.command("add-plan-item")
@cli_errors
def add_plan_item_(
    subdiscipline: str = typer.Option(..., "--subdiscipline", help="Sub-discipline code."),
    site: str = typer.Option(..., "--site", help="Site code, e.g. MAIN."),
    cycle_start: str = typer.Option(
        ..., "--cycle-start", help="Start of the accreditation cycle, YYYY-MM-DD."
    ),
    cycle_years: int = typer.Option(4, "--cycle-years", help="Cycle length in years (1-10)."),
    min_rounds: int = typer.Option(1, "--min-rounds", help="PT rounds required per cycle."),
    notes: str = typer.Option("", "--notes", help="Free text."),
    json_output: bool = typer.Option(False, "--json", help="Print the plan item as JSON."),
) -> None:
    """Create or update the PT plan of a sub-discipline at a site (ILAC P9:01/2024 4.5).

    Exit 2 naming the bad flag.
    """
    from ilc.service import set_plan_item

    start = _date("--cycle-start", cycle_start)
    _create(
        lambda session, actor: set_plan_item(
            session,
            actor,
            subdiscipline_id=_subdiscipline_id(session, actor, subdiscipline),
            site_id=_site_id(session, actor, site),
            cycle_start=start,
            cycle_years=cycle_years,
            min_rounds=min_rounds,
            notes=notes,
        ),
        {},
        json_output,
        lambda d: (
            f"PT plan {subdiscipline} at {site}: {d['min_rounds']} round(s) per "
            f"{d['cycle_years']}-year cycle from {d['cycle_start']}"
        ),
    )
