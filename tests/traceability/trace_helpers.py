"""Builders shared by the traceability tests (a small register as a JSON-like dict)."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

from traceability.chain import CertificateVerdict, check_register
from traceability.schema import load_register

DATA = Path(__file__).parent / "data"
_BASE = json.loads((DATA / "register_ok.json").read_text(encoding="utf-8"))


def base() -> dict[str, Any]:
    """A fresh copy of the all-clear register: NMI-X -> LAB-A -> OWN (DC voltage)."""
    return copy.deepcopy(_BASE)


def cert(doc: dict[str, Any], cert_id: str) -> dict[str, Any]:
    return next(c for c in doc["certificates"] if c["id"] == cert_id)


def issuer(doc: dict[str, Any], issuer_id: str) -> dict[str, Any]:
    return next(i for i in doc["issuers"] if i["id"] == issuer_id)


def verdicts(doc: dict[str, Any], as_of: str = "2024-06-01") -> dict[str, CertificateVerdict]:
    result = check_register(load_register(doc), date.fromisoformat(as_of))
    return {v.certificate: v for v in result.verdicts}


def codes(verdict: CertificateVerdict) -> set[str]:
    return {f.code for f in verdict.findings}
