"""`calib audit verify`: recompute the hash chain and compare records with it."""

from __future__ import annotations

import typer

from calib.cli_support import EXIT_FINDINGS, EXIT_OK, cli_errors, dump_json

app = typer.Typer(help="Audit trail.", no_args_is_help=True)


@app.command("verify")
@cli_errors
def verify(json_output: bool = typer.Option(False, "--json", help="Print a JSON report.")) -> None:
    """Verify the audit trail: exit 0 when intact, 1 at the first broken link or change."""
    from calib.audit import verify_audit
    from calib.db import make_engine, session_scope

    with session_scope(make_engine()) as session:
        report = verify_audit(session)
    if json_output:
        dump_json(report.as_dict())
    elif report.ok:
        typer.echo(
            f"audit trail intact: {report.entries} entries, {report.records_checked} records "
            f"in {len(report.tables_checked)} tables"
        )
    else:
        first = report.first_problem
        typer.echo(f"audit trail BROKEN ({len(report.problems)} problem(s)); first: ", nl=False)
        typer.echo(first.message if first else "")
    raise typer.Exit(EXIT_OK if report.ok else EXIT_FINDINGS)
