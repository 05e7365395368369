"""`calib budget` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="budget commands.", no_args_is_help=True)
