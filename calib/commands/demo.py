"""`calib demo`: load the deterministic demo lab."""

from __future__ import annotations

import datetime as dt

import typer

from calib.cli_support import EXIT_BAD_INPUT, cli_errors


@cli_errors
def demo(
    reset: bool = typer.Option(False, "--reset", help="Drop every calib table first."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Anchor date (YYYY-MM-DD) of the demo; default today."
    ),
) -> None:
    """Load the demo lab (refuses a non-empty database unless --reset)."""
    anchor: dt.date | None = None
    if as_of is not None:
        try:
            anchor = dt.date.fromisoformat(as_of)
        except ValueError:
            typer.echo(f"error: --as-of must be a date YYYY-MM-DD, got {as_of!r}", err=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None
    from calib.db import make_engine
    from calib.demo import DEMO_ACCOUNTS, load_demo

    engine = make_engine()
    ctx = load_demo(engine, as_of=anchor, reset=reset)
    typer.echo(
        f"demo lab loaded as of {ctx.as_of}: {len(ctx.site_ids)} sites, "
        f"{len(ctx.person_ids)} staff, {len(ctx.customer_ids)} customers, "
        f"{len(ctx.job_ids)} jobs"
    )
    for spec in ctx.extensions_skipped:
        typer.echo(f"skipped demo extension {spec} (not installed yet)")
    typer.echo("sign in with:")
    for username, (password, role) in DEMO_ACCOUNTS.items():
        typer.echo(f"  {username:<9} / {password:<14} ({role})")
