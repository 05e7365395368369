"""`calib user` commands: add, list, set-role, reset-password.

The CLI runs as the operator of the machine (``cli:<login>``, admin rights); each
change is an audited write.
"""

from __future__ import annotations

import typer

from calib.cli_support import cli_errors, cli_operator, dump_json
from calib.permissions import check_role

app = typer.Typer(help="Sign-in accounts.", no_args_is_help=True)


def _password(password: str | None) -> str:
    if password is not None:
        return password
    value: str = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    return value


@app.command("add")
@cli_errors
def add(
    username: str,
    role: str = typer.Option(..., "--role", help="admin, manager, staff or assessor."),
    email: str | None = typer.Option(None, "--email", help="E-mail (maps OIDC sign-in)."),
    password: str | None = typer.Option(None, "--password", help="Prompted when omitted."),
    oidc_only: bool = typer.Option(False, "--oidc-only", help="No local password."),
) -> None:
    """Add an account."""
    from calib.auth import create_user
    from calib.db import ensure_database, session_scope

    check_role(role)
    secret = None if oidc_only else _password(password)
    actor = cli_operator()
    with session_scope(ensure_database()) as session:
        create_user(session, actor, username=username, password=secret, role=role, email=email)
    typer.echo(f"added {username} ({role})")


@app.command("list")
@cli_errors
def list_(json_output: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List the accounts."""
    from calib.auth import list_users
    from calib.db import ensure_database, session_scope

    actor = cli_operator()
    with session_scope(ensure_database()) as session:
        rows = [
            {
                "username": u.username,
                "role": u.role,
                "email": u.email,
                "active": u.active,
                "locked": u.locked_until is not None,
            }
            for u in list_users(session, actor)
        ]
    if json_output:
        dump_json(rows)
        return
    for row in rows:
        typer.echo(f"{row['username']:<16} {row['role']:<9} {row['email'] or ''}")


@app.command("set-role")
@cli_errors
def set_role_command(username: str, role: str) -> None:
    """Change an account's role."""
    from calib.auth import set_role
    from calib.db import ensure_database, session_scope

    actor = cli_operator()
    with session_scope(ensure_database()) as session:
        set_role(session, actor, username, role)
    typer.echo(f"{username} is now {role}")


@app.command("reset-password")
@cli_errors
def reset_password_command(
    username: str,
    password: str | None = typer.Option(None, "--password", help="Prompted when omitted."),
) -> None:
    """Set a new password (and unlock the account)."""
    from calib.auth import reset_password
    from calib.db import ensure_database, session_scope

    actor = cli_operator()
    with session_scope(ensure_database()) as session:
        reset_password(session, actor, username, _password(password))
    typer.echo(f"password of {username} reset")
