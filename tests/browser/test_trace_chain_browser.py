"""The traceability chain graph in a real browser: Graphviz renders the coloured links as SVG."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser


def test_assessor_sees_the_chain_graph_with_coloured_links(
    browser_page: Any, live_app: str, sign_in: Any
) -> None:
    sign_in(browser_page, live_app, "assessor", "assessor-demo")
    browser_page.get_by_role("link", name="Traceability chains").click()
    browser_page.get_by_role("heading", name="Traceability chains").wait_for()
    browser_page.get_by_text("Certificates with findings").wait_for()
    svg = browser_page.locator("svg g.node").first
    svg.wait_for(timeout=60_000)
    assert browser_page.locator("svg g.edge").count() >= 1
    assert browser_page.locator('svg [stroke="#2e7d32"]').count() >= 1  # links judged ok
    browser_page.get_by_text("is below the minimum 4").first.wait_for()  # the st.warning
