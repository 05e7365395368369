"""PT results entry in a real browser: edit two cells of the data editor, Save, see them
stored (both: the editor's input stays stable between edits)."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser

ROW_HEIGHT = 35  # glide-data-grid default row and header height in Streamlit
NEW_VALUE = "10.0000031"
SECOND_VALUE = "10.0000042"


def _edit_value(page: Any, box: dict[str, float], *, row: int, text: str) -> None:
    """Select the participant cell of ``row`` (right of the row markers), move to
    "value", open its editor, replace the number; Enter commits the edit."""
    page.mouse.click(box["x"] + 60, box["y"] + ROW_HEIGHT * (row + 1) + ROW_HEIGHT / 2)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")  # opens the cell editor on the current value
    editor = page.locator("#portal input, #portal textarea").first
    editor.wait_for()
    editor.fill(text)
    page.keyboard.press("Enter")
    page.wait_for_timeout(700)  # the edit reruns the script; the input must stay stable


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
    # two edits before Save (the "every second edit disappears" trap would lose one)
    _edit_value(page, box, row=1, text=NEW_VALUE)
    _edit_value(page, box, row=2, text=SECOND_VALUE)
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
        assert fresh.locator('[data-testid="glide-cell-2-2"]').inner_text() == SECOND_VALUE
    finally:
        other.close()
