"""The ``calib`` command line (typer).

One sub-command group per domain. Each group lives in ``calib/commands/`` and
imports its engine lazily inside the command, so that ``calib budget evaluate``
starts without the database or Streamlit.
"""

from __future__ import annotations

import typer

from calib import __version__
from calib.commands import (
    audit,
    budget,
    budget_fit,
    db,
    demo,
    evidence,
    ilc,
    lab,
    satisfaction,
    schema,
    serve,
    trace,
    user,
)

app = typer.Typer(
    name="calib",
    help="Calibration-laboratory service-assessment engine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

budget.app.command("fit")(budget_fit.fit)
app.add_typer(budget.app, name="budget")
app.add_typer(trace.app, name="trace")
app.add_typer(ilc.app, name="ilc")
app.add_typer(satisfaction.app, name="satisfaction")
app.add_typer(evidence.app, name="evidence")
app.add_typer(lab.app, name="lab")
app.add_typer(db.app, name="db")
app.add_typer(audit.app, name="audit")
app.add_typer(user.app, name="user")
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)
app.command("schema")(schema.schema)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"calib {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version."
    ),
) -> None:
    """Calibration-laboratory service-assessment engine."""


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
