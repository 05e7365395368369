#!/usr/bin/env python3
"""Take the README's screenshots: the demo app in headless Chromium, one PNG per page.

Usage: ``.venv/bin/python scripts/screenshots.py [OUT_DIR]`` (default ``docs/img``).
Starts ``streamlit run app.py`` on a fresh demo database in a temporary directory,
signs in as the manager and visits the pages named below through the navigation.
Needs Debian's Chromium at /usr/bin/chromium (or CALIB_CHROMIUM).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CALIB_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGES = [
    ("Lab overview", "lab-overview.png"),
    ("Uncertainty budgets", "budgets.png"),
    ("Traceability chains", "traceability-chains.png"),
    ("PT rounds", "pt-rounds.png"),
    ("Customer satisfaction", "satisfaction.png"),
    ("Assessment", "assessment.png"),
    ("People & authorisations", "lab-people.png"),
    ("Scopes", "scopes.png"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"streamlit did not answer on {url}")


def open_page(page: Page, title: str) -> None:
    page.get_by_role("link", name=title, exact=True).first.click()
    page.get_by_role("heading", name=title).first.wait_for(timeout=60_000)
    page.wait_for_timeout(4000)  # charts render after the heading


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "img"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, CALIB_DATABASE_URL=f"sqlite:///{tmp}/demo.sqlite")
        subprocess.run(
            [sys.executable, "-m", "calib.cli", "demo"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(ROOT / "app.py"),
                "--server.headless=true",
                f"--server.port={port}",
                "--server.address=127.0.0.1",
                "--server.fileWatcherType=none",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_healthy(url)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(url)
                page.get_by_label("Username").fill("manager")
                page.get_by_role("textbox", name="Password").fill("manager-demo")
                page.get_by_role("button", name="Sign in", exact=True).click()
                page.get_by_text("Signed in as").wait_for(timeout=60_000)
                for title, filename in PAGES:
                    open_page(page, title)
                    page.screenshot(path=str(out / filename))
                    print(f"{out / filename}")
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
