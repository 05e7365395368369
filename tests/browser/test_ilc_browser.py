"""PT results entry in a real browser: edit a cell of the data editor, Save, see it stored."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser

ROW_HEIGHT = 35  # glide-data-grid default row and header height in Streamlit
NEW_VALUE = "10.0000031"


def _open_results_page(page: Any, live_app: str, sign_in: Any) -> Any:
    sign_in(page, live_app, "staff", "staff-demo")
    page.get_by_role("link", name="PT results").click()
    page.get_by_role("heading", name="PT results").wait_for()
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.wait_for()
    page.locator('[data-testid="glide-cell-1-1"]').wait_for(state="attached")
    return grid


def test_staff_edits_a_value_saves_and_it_is_stored(
    browser_page: Any, live_app: str, sign_in: Any
) -> None:
    page = browser_page
    grid = _open_results_page(page, live_app, sign_in)
    participant = page.locator('[data-testid="glide-cell-1-1"]').inner_text()
    assert page.locator('[data-testid="glide-cell-2-1"]').inner_text() != NEW_VALUE
    box = grid.locator("canvas").first.bounding_box()
    # select the participant cell of the second row (right of the row markers), move to
    # "value", open its editor, replace the number, Enter commits the edit
    page.mouse.click(box["x"] + 60, box["y"] + ROW_HEIGHT + ROW_HEIGHT + ROW_HEIGHT / 2)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")  # opens the cell editor on the current value
    editor = page.locator("#portal input, #portal textarea").first
    editor.wait_for()
    editor.fill(NEW_VALUE)
    page.keyboard.press("Enter")
    page.wait_for_timeout(500)
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("Saved 5 results.").wait_for()

    # a fresh browser session reads the round from the database
    other = page.context.browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        fresh = other.new_page()
        fresh.set_default_timeout(30_000)
        _open_results_page(fresh, live_app, sign_in)
        assert fresh.locator('[data-testid="glide-cell-1-1"]').inner_text() == participant
        assert fresh.locator('[data-testid="glide-cell-2-1"]').inner_text() == NEW_VALUE
    finally:
        other.close()
