"""JSON / CSV documents of ``calib ilc score`` (CONTRACTS.md section 3).

``RoundDocument`` is the input (unknown fields are an error), ``ScoreReportDocument``
the output; :func:`read_round_csv` turns CSV text plus the CLI options into a
``RoundDocument``; :func:`score_document` runs the engine on it.
"""

from __future__ import annotations

import csv
import io
import math
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ilc.assigned import METHODS
from ilc.evaluate import RoundScores, evaluate_round
from uncertainty.errors import InvalidInputError

__all__ = [
    "AssignedValueInput",
    "AssignedValueOutput",
    "ConsistencyOutput",
    "ParticipantResult",
    "RobustOutput",
    "RoundDocument",
    "ScoreReportDocument",
    "ScoreRow",
    "parse_round_document",
    "read_round_csv",
    "score_document",
]

Method = Literal["reference", "robust", "median", "weighted_mean", "consensus_dl"]
VerdictName = Literal["satisfactory", "questionable", "unsatisfactory"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AssignedValueInput(_Strict):
    """How the assigned value is obtained; ``value``/``expanded_uncertainty``/
    ``coverage_factor`` only for ``reference``."""

    method: Method
    value: float | None = None
    expanded_uncertainty: float | None = Field(default=None, ge=0)
    coverage_factor: float | None = Field(default=None, gt=0)
    largest_consistent_subset: bool = True
    alpha: float = Field(default=0.05, gt=0, lt=1)
    stopping_rule: Literal["converged", "iso2022"] = "converged"


class ParticipantResult(_Strict):
    """One participant's reported result; U and k optional (both or neither)."""

    participant: str = Field(min_length=1)
    value: float
    expanded_uncertainty: float | None = Field(default=None, ge=0)
    coverage_factor: float | None = Field(default=None, gt=0)
    exclude_from_reference: bool = False

    @field_validator("value")
    @classmethod
    def _finite(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError(f"must be a finite number, got {v}")
        return v


class RoundDocument(_Strict):
    """Input document of ``calib ilc score`` (CONTRACTS.md section 3)."""

    name: str = ""
    unit: str = ""
    assigned_value: AssignedValueInput
    sigma_pt: float | None = Field(default=None, gt=0)
    en_limit: float = Field(default=1.0, gt=0)
    doe_convention: Literal["covariance", "independent"] = "covariance"
    results: list[ParticipantResult] = Field(min_length=1)


class AssignedValueOutput(BaseModel):
    """x_pt with its standard and expanded uncertainty."""

    method: str
    value: float
    standard_uncertainty: float
    expanded_uncertainty: float
    contributors: list[str] = []


class RobustOutput(BaseModel):
    """Robust statistics (``robust``: x*, s*; ``median``: median, nIQR); else nulls."""

    mean: float | None = None
    sd: float | None = None
    iterations: int | None = None
    estimator: str | None = None
    stopping_rule: str | None = None


class ConsistencyOutput(BaseModel):
    """χ² (weighted mean) or Q (DerSimonian–Laird) check; ``excluded`` are results left
    out of the largest consistent subset."""

    chi2: float | None = None
    dof: int | None = None
    p_value: float | None = None
    consistent: bool | None = None
    excluded: list[str] = []
    tau: float | None = None


class ScoreRow(BaseModel):
    """Scores and verdicts of one result (``null`` where undefined)."""

    participant: str
    value: float
    deviation: float
    d_percent: float | None
    en: float | None
    zeta: float | None
    z: float | None
    z_prime: float | None
    z_or_z_prime: str | None
    en_verdict: VerdictName | None
    z_verdict: VerdictName | None
    zeta_verdict: VerdictName | None
    degree_of_equivalence: float
    doe_expanded_uncertainty: float | None
    covariance_applied: bool
    contributed_to_reference: bool
    uncertainty_flag: str | None


class ScoreReportDocument(BaseModel):
    """Output document of ``calib ilc score`` (CONTRACTS.md section 3)."""

    name: str = ""
    unit: str = ""
    assigned_value: AssignedValueOutput
    sigma_pt: float | None
    en_limit: float
    doe_convention: str
    robust: RobustOutput
    consistency: ConsistencyOutput
    scores: list[ScoreRow]
    any_unsatisfactory: bool


def _location(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]"] if parts else [f"[{item}]"]
        else:
            parts.append(str(item))
    return ".".join(parts)


def parse_round_document(data: object) -> RoundDocument:
    """Validate decoded JSON as a :class:`RoundDocument`, naming the bad field."""
    try:
        return RoundDocument.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = _location(tuple(first["loc"])) or "document"
        raise InvalidInputError(
            f"{first['msg']} (got {first.get('input')!r})", field=where
        ) from exc


def _float_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


def score_document(document: RoundDocument) -> ScoreReportDocument:
    """Run :func:`ilc.evaluate.evaluate_round` on a document and build the report."""
    av = document.assigned_value
    results = document.results
    scores = evaluate_round(
        [r.participant for r in results],
        np.array([r.value for r in results]),
        np.array([_nan(r.expanded_uncertainty) for r in results]),
        np.array([_nan(r.coverage_factor) for r in results]),
        method=av.method,
        exclude_from_reference=np.array([r.exclude_from_reference for r in results]),
        reference_value=av.value,
        reference_expanded_uncertainty=av.expanded_uncertainty,
        reference_coverage_factor=av.coverage_factor,
        sigma_pt=document.sigma_pt,
        en_limit=document.en_limit,
        doe_convention=document.doe_convention,
        largest_subset=av.largest_consistent_subset,
        alpha=av.alpha,
        stopping=av.stopping_rule,
    )
    return build_report(document.name, document.unit, scores)


def build_report(name: str, unit: str, scores: RoundScores) -> ScoreReportDocument:
    """Turn engine arrays into the contract document (NaN → ``null``)."""
    a = scores.assigned
    robust = RobustOutput()
    if a.robust is not None:
        robust = RobustOutput(
            mean=a.robust.mean,
            sd=a.robust.sd,
            iterations=a.robust.iterations,
            estimator=a.robust.estimator,
            stopping_rule=a.robust.stopping_rule,
        )
    consistency = ConsistencyOutput()
    if a.consensus is not None:
        c = a.consensus
        excluded = [
            p
            for p, ok, used in zip(scores.participants, a.eligible, a.contributed, strict=True)
            if ok and not used
        ]
        consistency = ConsistencyOutput(
            chi2=c.chi2,
            dof=c.dof,
            p_value=c.p_value,
            consistent=c.consistent,
            excluded=excluded,
            tau=c.tau,
        )
    rows: list[ScoreRow] = []
    for i, participant in enumerate(scores.participants):
        u_doe = float(scores.doe_standard_uncertainty[i])
        rows.append(
            ScoreRow(
                participant=participant,
                value=float(scores.values[i]),
                deviation=float(scores.deviation[i]),
                d_percent=_float_or_none(float(scores.percent_deviation[i])),
                en=_float_or_none(float(scores.en[i])),
                zeta=_float_or_none(float(scores.zeta[i])),
                z=_float_or_none(float(scores.z[i])),
                z_prime=_float_or_none(float(scores.z_prime[i])),
                z_or_z_prime=scores.z_choice,
                en_verdict=scores.en_verdicts[i],
                z_verdict=scores.z_verdicts[i],
                zeta_verdict=scores.zeta_verdicts[i],
                degree_of_equivalence=float(scores.deviation[i]),
                doe_expanded_uncertainty=_float_or_none(2.0 * u_doe),
                covariance_applied=bool(scores.covariance_applied[i]),
                contributed_to_reference=bool(a.contributed[i]),
                uncertainty_flag=scores.plausibility[i],
            )
        )
    return ScoreReportDocument(
        name=name,
        unit=unit,
        assigned_value=AssignedValueOutput(
            method=a.method,
            value=a.value,
            standard_uncertainty=a.standard_uncertainty,
            expanded_uncertainty=a.expanded_uncertainty,
            contributors=[p for p, c in zip(scores.participants, a.contributed, strict=True) if c],
        ),
        sigma_pt=scores.sigma_pt,
        en_limit=scores.en_limit,
        doe_convention=scores.doe_convention,
        robust=robust,
        consistency=consistency,
        scores=rows,
        any_unsatisfactory=scores.any_unsatisfactory,
    )


_CSV_REQUIRED = ("participant", "value", "expanded_uncertainty", "coverage_factor")
_CSV_OPTIONAL = ("exclude_from_reference",)
_TRUE = {"true", "1", "yes", "y", "x"}
_FALSE = {"false", "0", "no", "n", ""}


def _cell_float(text: str, row: int, column: str, *, required: bool) -> float | None:
    text = text.strip()
    if text == "":
        if required:
            raise InvalidInputError(
                f"row {row}, column {column}: empty cell", field=f"row {row}, column {column}"
            )
        return None
    try:
        value = float(text)
    except ValueError:
        raise InvalidInputError(
            f"row {row}, column {column}: {text!r} is not a number",
            field=f"row {row}, column {column}",
        ) from None
    if not math.isfinite(value):
        raise InvalidInputError(
            f"row {row}, column {column}: {text!r} is not a finite number",
            field=f"row {row}, column {column}",
        )
    return value


def read_round_csv(
    text: str,
    *,
    method: str = "reference",
    reference_value: float | None = None,
    reference_expanded_uncertainty: float | None = None,
    reference_coverage_factor: float | None = None,
    sigma_pt: float | None = None,
    unit: str = "",
    name: str = "",
    en_limit: float = 1.0,
    doe_convention: str = "covariance",
) -> RoundDocument:
    """Parse CSV text (columns participant,value,expanded_uncertainty,coverage_factor
    [,exclude_from_reference]) plus the assigned-value options into a RoundDocument.

    Rows are numbered as in a spreadsheet (the header is row 1). A non-numeric cell
    raises :class:`InvalidInputError` naming its row and column.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in _CSV_REQUIRED if c not in header]
    if missing:
        raise InvalidInputError(
            f"CSV header lacks column(s) {', '.join(missing)}; expected "
            f"{','.join(_CSV_REQUIRED)}[,exclude_from_reference]",
            field="header",
        )
    unknown = [c for c in header if c not in _CSV_REQUIRED + _CSV_OPTIONAL]
    if unknown:
        raise InvalidInputError(f"CSV has unknown column(s) {', '.join(unknown)}", field="header")
    results: list[dict[str, object]] = []
    for offset, raw in enumerate(reader):
        row = offset + 2
        cells = {(k or "").strip(): (v or "") for k, v in raw.items() if k is not None}
        if None in raw:
            raise InvalidInputError(f"row {row} has more cells than the header", field=f"row {row}")
        if not any(v.strip() for v in cells.values()):
            continue
        participant = cells.get("participant", "").strip()
        if not participant:
            raise InvalidInputError(
                f"row {row}, column participant: empty cell", field=f"row {row}, column participant"
            )
        flag = cells.get("exclude_from_reference", "").strip().lower()
        if flag not in _TRUE | _FALSE:
            raise InvalidInputError(
                f"row {row}, column exclude_from_reference: {flag!r} is not true/false",
                field=f"row {row}, column exclude_from_reference",
            )
        results.append(
            {
                "participant": participant,
                "value": _cell_float(cells.get("value", ""), row, "value", required=True),
                "expanded_uncertainty": _cell_float(
                    cells.get("expanded_uncertainty", ""),
                    row,
                    "expanded_uncertainty",
                    required=False,
                ),
                "coverage_factor": _cell_float(
                    cells.get("coverage_factor", ""), row, "coverage_factor", required=False
                ),
                "exclude_from_reference": flag in _TRUE,
            }
        )
    if method not in METHODS:
        raise InvalidInputError(
            f"unknown method {method!r}; allowed: {', '.join(METHODS)}", field="--method"
        )
    assigned: dict[str, object] = {"method": method}
    if method == "reference":
        if reference_value is None or reference_expanded_uncertainty is None:
            raise InvalidInputError(
                "method 'reference' needs --reference-value and --reference-U",
                field="--reference-value",
            )
        assigned.update(
            value=reference_value,
            expanded_uncertainty=reference_expanded_uncertainty,
            coverage_factor=2.0 if reference_coverage_factor is None else reference_coverage_factor,
        )
    return parse_round_document(
        {
            "name": name,
            "unit": unit,
            "assigned_value": assigned,
            "sigma_pt": sigma_pt,
            "en_limit": en_limit,
            "doe_convention": doe_convention,
            "results": results,
        }
    )
