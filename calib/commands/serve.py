"""`calib serve`: start the Streamlit app (seeding the embedded database on first run)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import typer

from calib.cli_support import EXIT_BAD_INPUT, cli_errors


def app_path() -> Path:
    """Location of ``app.py`` (installed as a top-level module next to the packages)."""
    spec = importlib.util.find_spec("app")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("app.py is not installed next to the calib package")
    return Path(spec.origin)


@cli_errors
def serve(
    port: int = typer.Option(8501, "--port", help="Port to listen on."),
    no_demo: bool = typer.Option(
        False, "--no-demo", help="Do not seed the demo lab into an empty embedded database."
    ),
) -> None:
    """Start the app on http://localhost:PORT (headless)."""
    from calib.config import load_settings
    from calib.db import ensure_database, is_empty

    settings = load_settings()
    engine = ensure_database(settings.database_url)
    if settings.is_embedded_sqlite and not no_demo and is_empty(engine):
        from calib.demo import DEMO_ACCOUNTS, load_demo

        load_demo(engine)
        typer.echo(
            "first run: demo lab loaded; sign in with "
            + ", ".join(f"{user}/{password}" for user, (password, _) in DEMO_ACCOUNTS.items())
        )
    engine.dispose()
    try:
        script = app_path()
    except FileNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    argv = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
    ]
    typer.echo(f"calib app on http://localhost:{port} ({settings.masked_database_url})")
    raise typer.Exit(subprocess.call(argv, env=dict(os.environ)))
