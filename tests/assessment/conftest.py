"""Fixtures of the assessment page tests: the app under AppTest on a fresh demo database."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture
def app_test(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """``app.py`` run once (the sign-in page) on a copy of the demo database."""
    monkeypatch.setenv("CALIB_DATABASE_URL", demo_url)
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    return at
