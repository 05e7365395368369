"""Real-browser fixtures: ``streamlit run app.py`` on a demo database, driven by Playwright.

Debian's Chromium (``/usr/bin/chromium``) is used through Playwright's
``executable_path``: Playwright's own browser download does not work on the
build machines. Without Chromium or the ``playwright`` package the tests skip
with the reason, except in CI (``CI`` set), where they fail: CI installs
Chromium in ``.ci/run``. Screenshots go to ``test-artifacts/`` for people to look at.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CALIB_CHROMIUM", "/usr/bin/chromium")
# The flags keep Chromium from reaching for the network it does not have here.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"browser tests must run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_healthy(base_url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"streamlit did not answer on {base_url} within {timeout:.0f} s")


@pytest.fixture(scope="session")
def live_app(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of ``streamlit run app.py`` on a private copy of the demo database."""
    workdir = tmp_path_factory.mktemp("live_app")
    database = workdir / "demo.sqlite"
    shutil.copyfile(demo_template, database)
    port = _free_port()
    env = dict(os.environ)
    env.update(
        CALIB_DATABASE_URL=f"sqlite:///{database.as_posix()}",
        CALIB_DATA_DIR=str(workdir),
        CALIB_PUBLIC_URL=f"http://127.0.0.1:{port}",
        STREAMLIT_BROWSER_GATHER_USAGE_STATS="false",
    )
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "app.py"),
        "--server.headless=true",
        f"--server.port={port}",
        "--server.address=127.0.0.1",
        "--server.fileWatcherType=none",
        "--global.developmentMode=false",
    ]
    log = (workdir / "streamlit.log").open("wb")
    process = subprocess.Popen(command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(base_url, process, timeout=90)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="session")
def _browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        _missing(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_page(_browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh Playwright page (own cookies); a screenshot is kept after the test."""
    context = _browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        yield page
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        try:
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
        except Exception:  # a screenshot is a courtesy; never mask the test's own result
            pass
        context.close()


def _sign_in(page: Any, base_url: str, username: str, password: str) -> None:
    page.goto(base_url)
    page.get_by_label("Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_text("Signed in as").wait_for()


@pytest.fixture
def sign_in() -> Any:
    """``sign_in(page, base_url, username, password)``: open the app, sign in via the form."""
    return _sign_in
