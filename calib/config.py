"""Run-time configuration from environment variables.

Every setting has a default so that ``calib serve`` works on a fresh machine: the
database is a SQLite file ``calib.sqlite`` in the user's data directory.

=============================  ==================================================  ========
variable                       meaning                                             default
=============================  ==================================================  ========
``CALIB_DATABASE_URL``         SQLAlchemy URL (``sqlite:///...`` or                 SQLite file in the data dir
                               ``postgresql+psycopg://user:pw@host/db``)
``CALIB_DATA_DIR``             directory for the embedded database and files       platformdirs user data dir
``CALIB_SESSION_TIMEOUT_MIN``  idle minutes before a signed-in session ends        30
``CALIB_LOCKOUT_ATTEMPTS``     failed sign-ins before the account locks            5
``CALIB_LOCKOUT_MINUTES``      minutes an account stays locked                     15
=============================  ==================================================  ========
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from uncertainty.errors import InvalidInputError

__all__ = ["Settings", "load_settings", "mask_url"]

_APP_NAME = "calib"


def mask_url(url: str) -> str:
    """Return ``url`` with any password replaced by ``***``.

    Works on malformed URLs too (a plain pattern replacement), so error messages
    can always name the URL without leaking the secret.

    Examples
    --------
    >>> mask_url("postgresql+psycopg://lab:s3cret@db.example:5432/calib")
    'postgresql+psycopg://lab:***@db.example:5432/calib'
    >>> mask_url("sqlite:///tmp/calib.sqlite")
    'sqlite:///tmp/calib.sqlite'
    """
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def _int_env(environ: dict[str, str], name: str, default: int, minimum: int) -> int:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInputError(
            f"{name} must be an integer >= {minimum}, got {raw!r}", field=name
        ) from None
    if value < minimum:
        raise InvalidInputError(f"{name} must be an integer >= {minimum}, got {value}", field=name)
    return value


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Resolved configuration (see the module docstring for the variables)."""

    data_dir: Path
    database_url: str
    session_timeout_minutes: int = 30
    lockout_attempts: int = 5
    lockout_minutes: int = 15

    @property
    def masked_database_url(self) -> str:
        """The database URL with its password masked, for messages and logs."""
        return mask_url(self.database_url)

    @property
    def is_embedded_sqlite(self) -> bool:
        """True when the database is a SQLite file (auto-upgraded and auto-seeded)."""
        return self.database_url.startswith("sqlite")


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read the settings from ``environ`` (default: ``os.environ``).

    Parameters
    ----------
    environ:
        Mapping of environment variables; tests pass their own.

    Raises
    ------
    InvalidInputError
        A numeric variable is not an integer in range.
    """
    env = dict(os.environ if environ is None else environ)
    data_dir_raw = env.get("CALIB_DATA_DIR", "").strip()
    if data_dir_raw:
        data_dir = Path(data_dir_raw).expanduser()
    else:
        import platformdirs

        data_dir = Path(platformdirs.user_data_dir(_APP_NAME, appauthor=False))
    url = env.get("CALIB_DATABASE_URL", "").strip()
    if not url:
        url = f"sqlite:///{(data_dir / 'calib.sqlite').as_posix()}"
    return Settings(
        data_dir=data_dir,
        database_url=url,
        session_timeout_minutes=_int_env(env, "CALIB_SESSION_TIMEOUT_MIN", 30, 1),
        lockout_attempts=_int_env(env, "CALIB_LOCKOUT_ATTEMPTS", 5, 1),
        lockout_minutes=_int_env(env, "CALIB_LOCKOUT_MINUTES", 15, 1),
    )
