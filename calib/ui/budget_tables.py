"""Budget document <-> editor tables (inputs, correlations) for the budget editor page.

Pure functions (pandas only), so the page stays thin and the conversion is testable.
One row per input; the uncertainty columns that do not apply to a row are left empty
(exactly one uncertainty form per input, CONTRACTS.md section 1, is checked when the
document is saved).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

__all__ = [
    "DISTRIBUTION_CHOICES",
    "INPUT_COLUMNS",
    "NUMBER_COLUMNS",
    "correlations_frame",
    "document_from_tables",
    "inputs_frame",
    "model_lines",
]

DISTRIBUTION_CHOICES: list[str] = [
    "",
    "normal",
    "rectangular",
    "triangular",
    "arcsine",
    "student_t",
    "constant",
]

#: Numeric uncertainty fields, in the order they are shown.
NUMBER_COLUMNS: list[str] = [
    "standard_uncertainty",
    "expanded_uncertainty",
    "coverage_factor",
    "coverage_probability",
    "dof",
    "half_width",
    "scale",
]

INPUT_COLUMNS: list[str] = [
    "name",
    "value",
    "unit",
    "distribution",
    *NUMBER_COLUMNS,
    "limits",
    "observations",
    "description",
]


def _numbers_text(values: Any) -> str:
    return ", ".join(repr(float(v)) if not float(v).is_integer() else str(v) for v in values)


def inputs_frame(document: dict[str, Any]) -> pd.DataFrame:
    """One row per input of a budget document."""
    rows: list[dict[str, Any]] = []
    for name, spec in document.get("inputs", {}).items():
        row: dict[str, Any] = {
            "name": name,
            "value": spec.get("value"),
            "unit": spec.get("unit", ""),
            "distribution": spec.get("distribution") or "",
        }
        for column in NUMBER_COLUMNS:
            row[column] = spec.get(column)
        row["limits"] = _numbers_text(spec["limits"]) if spec.get("limits") else ""
        row["observations"] = (
            _numbers_text(spec["observations"]) if spec.get("observations") else ""
        )
        row["description"] = spec.get("description") or ""
        rows.append(row)
    frame = pd.DataFrame(rows, columns=INPUT_COLUMNS)
    for column in ["value", *NUMBER_COLUMNS]:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    for column in ["name", "unit", "distribution", "limits", "observations", "description"]:
        frame[column] = frame[column].fillna("").astype(str)
    return frame


def correlations_frame(document: dict[str, Any]) -> pd.DataFrame:
    """One row per correlation coefficient."""
    rows = [
        {"input_a": c["inputs"][0], "input_b": c["inputs"][1], "coefficient": c["coefficient"]}
        for c in document.get("correlations", [])
    ]
    frame = pd.DataFrame(rows, columns=["input_a", "input_b", "coefficient"])
    frame["coefficient"] = pd.to_numeric(frame["coefficient"], errors="coerce").astype("float64")
    return frame


def model_lines(document: dict[str, Any]) -> str:
    """The model as text, one equation per line."""
    model = document.get("model", "")
    return model if isinstance(model, str) else "\n".join(model)


def _present(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    return not (isinstance(value, str) and not value.strip())


def _parse_numbers(text: str, where: str) -> list[float]:
    from uncertainty.errors import InvalidInputError

    try:
        return [float(part) for part in text.replace(";", ",").split(",") if part.strip()]
    except ValueError as exc:
        raise InvalidInputError(
            f"write numbers separated by commas, got {text!r}", field=where
        ) from exc


def document_from_tables(
    base: dict[str, Any], model_text: str, inputs: pd.DataFrame, correlations: pd.DataFrame
) -> dict[str, Any]:
    """A new budget document: ``base`` with the model, inputs and correlations replaced.

    Empty cells are left out; the engine then checks the document (names, one
    uncertainty form per input, units) when it is saved.
    """
    from uncertainty.errors import InvalidInputError

    document = {k: v for k, v in base.items() if k not in ("model", "inputs", "correlations")}
    equations = [line.strip() for line in model_text.splitlines() if line.strip()]
    document["model"] = equations[0] if len(equations) == 1 else equations
    specs: dict[str, dict[str, Any]] = {}
    for index, row in enumerate(inputs.to_dict("records")):
        name = str(row.get("name") or "").strip()
        if not name:
            if any(_present(v) for k, v in row.items() if k != "name"):
                raise InvalidInputError(
                    f"row {index + 1} of the inputs has no name", field=f"inputs[{index}]"
                )
            continue
        if name in specs:
            raise InvalidInputError(f"input {name!r} is given twice", field=f"inputs.{name}")
        spec: dict[str, Any] = {}
        if _present(row.get("value")):
            spec["value"] = float(row["value"])
        spec["unit"] = str(row.get("unit") or "").strip()
        if _present(row.get("distribution")):
            spec["distribution"] = str(row["distribution"])
        for column in NUMBER_COLUMNS:
            if _present(row.get(column)):
                spec[column] = float(row[column])
        if _present(row.get("limits")):
            limits = _parse_numbers(str(row["limits"]), f"inputs.{name}.limits")
            if len(limits) != 2:
                raise InvalidInputError(
                    f"limits need two numbers 'low, high', got {row['limits']!r}",
                    field=f"inputs.{name}.limits",
                )
            spec["limits"] = limits
        if _present(row.get("observations")):
            spec["observations"] = _parse_numbers(
                str(row["observations"]), f"inputs.{name}.observations"
            )
        if _present(row.get("description")):
            spec["description"] = str(row["description"])
        specs[name] = spec
    document["inputs"] = specs
    pairs = []
    for row in correlations.to_dict("records"):
        if not any(_present(v) for v in row.values()):
            continue
        pairs.append(
            {
                "inputs": [str(row.get("input_a") or ""), str(row.get("input_b") or "")],
                "coefficient": float(row["coefficient"])
                if _present(row.get("coefficient"))
                else math.nan,
            }
        )
    if pairs:
        document["correlations"] = pairs
    return document
