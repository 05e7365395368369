"""`calib ilc` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="ilc commands.", no_args_is_help=True)
