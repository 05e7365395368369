"""`calib satisfaction` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="satisfaction commands.", no_args_is_help=True)
