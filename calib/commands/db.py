"""`calib db` commands: migrate the configured database and show its revision."""

from __future__ import annotations

import typer

from calib.cli_support import cli_errors

app = typer.Typer(
    help="Database schema: upgrade and show the current revision.", no_args_is_help=True
)


@app.command("upgrade")
@cli_errors
def upgrade_command() -> None:
    """Apply every migration (`alembic upgrade heads`) to CALIB_DATABASE_URL."""
    from calib.config import mask_url
    from calib.db import current_revisions, make_engine, upgrade

    engine = make_engine()
    upgrade(engine)
    url = mask_url(engine.url.render_as_string(hide_password=False))
    typer.echo(f"{url}: at {', '.join(sorted(current_revisions(engine)))}")


@app.command("current")
@cli_errors
def current_command() -> None:
    """Print the revisions the database is at, and the heads shipped with calib."""
    from calib.db import current_revisions, head_revisions, make_engine

    engine = make_engine()
    current = sorted(current_revisions(engine))
    heads = sorted(head_revisions())
    typer.echo(f"current: {', '.join(current) or '(empty database)'}")
    typer.echo(f"heads:   {', '.join(heads)}")
    if set(current) != set(heads):
        typer.echo("the database is behind; run `calib db upgrade`")
