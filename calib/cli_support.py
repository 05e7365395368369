"""What every CLI command shares: exit codes, JSON output, error-to-exit mapping.

CONTRACTS.md: exit code 0 ok, 1 the evaluation found problems, 2 bad input (the
message names the field and the reason; nothing is written).
"""

from __future__ import annotations

import functools
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, ParamSpec, TypeVar

import typer

from uncertainty.errors import (
    CalibError,
    ConflictError,
    DatabaseUnavailableError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)

if TYPE_CHECKING:
    from calib.permissions import Principal

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_FINDINGS",
    "EXIT_OK",
    "bad_input",
    "cli_errors",
    "cli_operator",
    "dump_json",
    "echo_created",
    "read_json_file",
]

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2

P = ParamSpec("P")
R = TypeVar("R")


def _json_safe(value: Any) -> Any:
    """Replace non-finite floats by ``null``: JSON has no NaN or Infinity."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def dump_json(document: Any) -> None:
    """Print a JSON document (a pydantic model or plain data) to standard output."""
    if hasattr(document, "model_dump"):
        document = document.model_dump(mode="json")
    typer.echo(json.dumps(_json_safe(document), indent=2, ensure_ascii=False))


def cli_operator() -> Principal:
    """The acting user of a CLI command: ``cli:<OS login>`` with the admin role.

    Whoever can run ``calib`` against the database already holds its credentials, so the
    CLI acts as admin; the audit trail names the OS login (``cli:operator`` when the
    login cannot be read). ``calib.permissions`` is imported here, not at module level,
    so that commands which never touch the database start without it.
    """
    import getpass

    from calib.permissions import Principal

    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = "operator"
    return Principal(username=f"cli:{login}", role="admin")


def echo_created(json_output: bool, kind: str, record: Any, text: str) -> None:
    """Report a stored record: ``{"created": kind, "record": ...}`` as JSON, else ``text``."""
    if json_output:
        dump_json({"created": kind, "record": record.model_dump(mode="json")})
    else:
        typer.echo(text)


def bad_input(message: str) -> NoReturn:
    """Print ``message`` to standard error and exit 2 (bad input)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def read_json_file(path: Path) -> Any:
    """Read a JSON file, turning I/O and syntax errors into ``InvalidInputError``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror}", field=str(path)) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            field=str(path),
        ) from exc


def cli_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Map calib errors to the contract's exit codes with a one-line message."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except (InvalidInputError, NotFoundError, ConflictError, DatabaseUnavailableError) as exc:
            bad_input(str(exc))
        except PermissionDeniedError as exc:
            bad_input(f"permission denied: {exc}")
        except CalibError as exc:  # any other deliberate error is still the user's input
            bad_input(str(exc))
        except KeyboardInterrupt:
            typer.echo("cancelled", err=True)
            sys.exit(130)

    return wrapper
