"""The declared public API and the purity of the engine modules (STYLE.md rules 1 and 6)."""

from __future__ import annotations

import subprocess
import sys

import traceability

ENGINE_MODULES = [
    "traceability.quantities",
    "traceability.register",
    "traceability.findings",
    "traceability.checks",
    "traceability.chain",
    "traceability.decision",
    "traceability.impact",
    "traceability.intervals",
]


def test_all_names_exist() -> None:
    for name in traceability.__all__:
        assert hasattr(traceability, name), name
    assert "check_register" in traceability.__all__
    assert "impact_analysis" in traceability.__all__
    assert "recommend_intervals" in traceability.__all__


def test_engine_modules_are_pure() -> None:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in ENGINE_MODULES)
        + "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('sqlmodel', 'sqlalchemy', 'streamlit', 'calib')]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
