"""The Uncertainty budgets page in a real browser: sign in, open a budget, evaluate."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.browser


def test_staff_opens_gauge_block_budget_and_evaluates(
    browser_page: Any, live_app: str, sign_in: Any
) -> None:
    page = browser_page
    sign_in(page, live_app, "staff", "staff-demo")
    page.get_by_role("link", name="Uncertainty budgets").click()
    page.get_by_role("heading", name="Uncertainty budgets").wait_for()
    # The first budget of the list is the gauge block (JCGM 100:2008 H.1 data).
    page.get_by_role("heading", name=re.compile(r"Gauge block 50 mm")).wait_for()
    page.get_by_role("button", name="Evaluate", exact=True).click()
    page.get_by_text("Evaluated.", exact=True).wait_for()
    # GUM H.1 at p = 95.45 %: l = 50.000 838 mm, U = 69 nm (k = 2.17, nu_eff = 16).
    statement = page.get_by_text(re.compile(r"^l = 50.000.838 nm ± 69 nm"))
    statement.wait_for()
    assert "k = 2.17" in statement.inner_text()
    page.get_by_text("Pareto of contributions").first.wait_for(state="attached")
