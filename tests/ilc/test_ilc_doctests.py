"""Run the docstring examples of the ilc engine (STYLE.md rule 9)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "ilc.robust",
    "ilc.scores",
    "ilc.consensus",
    "ilc.homogeneity",
    "ilc.outliers",
    "ilc.history",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0
    assert result.failed == 0
