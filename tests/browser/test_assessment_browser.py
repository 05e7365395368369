"""The assessor's walk in a real browser: sign in, Assessment checklist, drill-down, pack download."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

from calib.assessment.pack import verify_pack

pytestmark = pytest.mark.browser


def test_assessor_checklist_drill_down_and_evidence_pack(
    browser_page: Any, live_app: str, sign_in: Any, tmp_path: Path
) -> None:
    page = browser_page
    page.set_default_timeout(120_000)
    sign_in(page, live_app, "assessor", "assessor-demo")
    more = page.get_by_text(re.compile(r"View \d+ more"))
    if more.count():  # the navigation folds after ten pages
        more.first.click()
    page.get_by_role("link", name="Assessment", exact=True).click()
    page.get_by_role("heading", name="Assessment").wait_for()
    page.get_by_text("Drill down to a requirement").wait_for()
    page.get_by_text("Records behind it").wait_for()
    # Drill down to the environmental controls.
    page.get_by_role("combobox", name="Drill down to a requirement").click()
    page.get_by_role("option", name="ENV-01 · Environmental controls").click()
    page.get_by_role("heading", name="ENV-01 Environmental controls").wait_for()
    page.get_by_text("environment_within_limits_during_jobs:").first.wait_for()
    # Export the evidence pack and check it.
    page.get_by_role("button", name="Prepare evidence pack").click()
    download_button = page.get_by_role("button", name="Download evidence pack")
    download_button.wait_for()
    with page.expect_download() as info:
        download_button.click()
    target = tmp_path / "pack.zip"
    info.value.save_as(target)
    assert zipfile.is_zipfile(target)
    report = verify_pack(target)
    assert report.ok, report.problems
    assert report.manifest is not None and len(report.manifest.requirements) == 17
