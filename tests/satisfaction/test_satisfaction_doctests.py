"""The docstring examples of the satisfaction modules run (STYLE.md rule 9)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "satisfaction.intervals",
    "satisfaction.metrics",
    "satisfaction.control",
    "satisfaction.triggers",
    "satisfaction.tokens",
    "satisfaction.schema",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
