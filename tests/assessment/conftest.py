"""Fixtures of the assessment tests: the app under AppTest on a fresh demo database, and an
empty migrated SQLite database per test (copied from one template per worker)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture
def app_test(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """``app.py`` run once (the sign-in page) on a copy of the demo database."""
    monkeypatch.setenv("CALIB_DATABASE_URL", demo_url)
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    return at


@pytest.fixture(scope="session")
def empty_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite file, built once per worker."""
    from calib.db import make_engine, upgrade

    path = tmp_path_factory.mktemp("assessment_empty") / "template.sqlite"
    eng = make_engine(f"sqlite:///{path.as_posix()}")
    upgrade(eng)
    eng.dispose()
    return path


@pytest.fixture
def empty_sqlite_session(empty_template: Path, tmp_path: Path) -> Iterator[Session]:
    """A session on a private copy of :func:`empty_template`."""
    from calib.db import make_engine

    target = tmp_path / "t.sqlite"
    shutil.copyfile(empty_template, target)
    eng = make_engine(f"sqlite:///{target.as_posix()}")
    with Session(eng, expire_on_commit=False) as sess:
        yield sess
    eng.dispose()
