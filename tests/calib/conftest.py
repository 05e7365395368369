"""Foundation-only fixtures: cheap argon2 parameters keep sign-in tests fast."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("calib.auth._hasher", PasswordHasher.from_parameters(CHEAPEST))
