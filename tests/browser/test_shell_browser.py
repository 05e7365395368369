"""The app shell in a real browser: sign-in, navigation by role, the overview page."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser


def test_manager_signs_in_and_sees_the_overview(
    browser_page: Any, live_app: str, sign_in: Any
) -> None:
    sign_in(browser_page, live_app, "manager", "manager-demo")
    browser_page.get_by_role("heading", name="Lab overview").wait_for()
    browser_page.get_by_text("Open corrective actions").wait_for()
    browser_page.get_by_text("Authorisations expiring within 60 days").wait_for()


def test_wrong_password_is_refused_in_the_browser(browser_page: Any, live_app: str) -> None:
    browser_page.goto(live_app)
    browser_page.get_by_label("Username").fill("staff")
    browser_page.get_by_role("textbox", name="Password").fill("wrong")
    browser_page.get_by_role("button", name="Sign in", exact=True).click()
    browser_page.get_by_text("wrong username or password").wait_for()
    assert browser_page.get_by_text("Signed in as").count() == 0
