"""Declared public API and engine purity (STYLE.md rules 1 and 6)."""

from __future__ import annotations

import subprocess
import sys

import satisfaction


def test_all_names_resolve_and_are_sorted_unique() -> None:
    names = satisfaction.__all__
    assert len(names) == len(set(names))
    for name in names:
        assert hasattr(satisfaction, name), name
    assert "build_report" in names and "SatisfactionReportDocument" in names


def test_engine_modules_import_no_database_ui_or_calib() -> None:
    code = (
        "import sys\n"
        "import satisfaction.intervals, satisfaction.metrics, satisfaction.control\n"
        "import satisfaction.triggers, satisfaction.tokens\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in {'sqlmodel', 'sqlalchemy', 'streamlit', 'calib'}]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
