"""Fixtures every domain reuses: databases on SQLite and PostgreSQL, sessions, the demo.

* ``db_url``: parametrised ``sqlite`` (a temporary file) and ``postgres`` (from
  ``CALIB_TEST_POSTGRES_URL``, each test in its own freshly created schema via
  ``search_path``, dropped afterwards, so pytest-xdist workers never collide).
  Without the variable the postgres variants skip, except when ``CI`` is set:
  then they fail.
* ``engine``: a migrated (``upgrade heads``) engine on ``db_url``.
* ``session``: one session on ``engine`` (rolled back at the end).
* ``demo_engine``: a migrated SQLite database with the demo lab (as of
  ``DEMO_AS_OF``), built once per test session and copied per test.
* ``demo_url``: the URL of that copy (for CLI and AppTest via ``CALIB_DATABASE_URL``).
* ``signed_in_app``: ``signed_in_app(username, page=None)`` runs ``app.py`` under AppTest
  on ``demo_url``, signs in as that demo user (password ``<username>-demo``) and opens
  ``calib/ui/<page>.py`` when given.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest

DEMO_AS_OF = dt.date(2026, 11, 23)


def _postgres_base_url() -> str | None:
    url = os.environ.get("CALIB_TEST_POSTGRES_URL", "").strip()
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail(
            "CI is set but CALIB_TEST_POSTGRES_URL is not: PostgreSQL tests must run in CI",
            pytrace=False,
        )
    pytest.skip(
        "PostgreSQL tests need CALIB_TEST_POSTGRES_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
    )
    return None


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database URL, on SQLite and on PostgreSQL (own schema per test)."""
    if request.param == "sqlite":
        yield f"sqlite:///{(tmp_path / 'test.sqlite').as_posix()}"
        return
    base = _postgres_base_url()
    assert base is not None
    from calib.db import make_engine

    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated engine on ``db_url``."""
    from calib.db import make_engine, upgrade

    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on ``engine``; whatever is not committed is rolled back."""
    with Session(engine, expire_on_commit=False) as sess:
        yield sess
        sess.rollback()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the demo lab, built once per test session (worker)."""
    from calib.db import make_engine
    from calib.demo import load_demo

    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    eng = make_engine(f"sqlite:///{path.as_posix()}")
    load_demo(eng, as_of=DEMO_AS_OF)
    with eng.begin() as connection:
        connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    eng.dispose()
    return path


@pytest.fixture
def demo_url(demo_template: Path, tmp_path: Path) -> str:
    """URL of a private copy of the demo database."""
    target = tmp_path / "demo.sqlite"
    shutil.copyfile(demo_template, target)
    return f"sqlite:///{target.as_posix()}"


@pytest.fixture
def demo_engine(demo_url: str) -> Iterator[Engine]:
    """Engine on a private copy of the demo database."""
    from calib.db import make_engine

    eng = make_engine(demo_url)
    yield eng
    eng.dispose()


@pytest.fixture
def signed_in_app(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> Callable[..., AppTest]:
    """``signed_in_app(username, page=None)``: the app on ``demo_url``, signed in.

    Cheap argon2 parameters keep the sign-in fast (the demo hashes still verify: argon2
    reads the parameters from the hash).
    """
    from argon2 import PasswordHasher
    from argon2.profiles import CHEAPEST
    from streamlit.testing.v1 import AppTest

    monkeypatch.setattr("calib.auth._hasher", PasswordHasher.from_parameters(CHEAPEST))
    monkeypatch.setenv("CALIB_DATABASE_URL", demo_url)
    app = str(Path(__file__).resolve().parents[1] / "app.py")

    def sign_in(username: str, page: str | None = None) -> AppTest:
        at = AppTest.from_file(app, default_timeout=90)
        at.run()
        at.text_input(key="signin_username").input(username)
        at.text_input(key="signin_password").input(f"{username}-demo")
        at.button[0].click()
        at.run()
        assert not at.exception, at.exception
        if page is not None:
            at.switch_page(f"calib/ui/{page}.py")
            at.run()
            assert not at.exception, at.exception
        return at

    return sign_in
