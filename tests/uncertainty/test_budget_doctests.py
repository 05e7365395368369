"""The docstring examples of the budget engine run (STYLE.md rule 9)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "uncertainty.distributions",
    "uncertainty.gum",
    "uncertainty.model",
    "uncertainty.rounding",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
