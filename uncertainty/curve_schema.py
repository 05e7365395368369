"""The calibration-curve documents of ``calib budget fit`` (CONTRACTS.md section 2).

``CurveDocument`` is the input (unknown fields are an error), ``CurveResultDocument`` the
output. :func:`parse_curve_document` turns pydantic's validation errors into one
``InvalidInputError`` that names the field; :func:`evaluate_curve` runs the fit of
:mod:`uncertainty.curves` and builds the result document.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from uncertainty.curves import CurveMethod, LineFit, fit_line
from uncertainty.errors import InvalidInputError

__all__ = [
    "CoefficientResult",
    "CurveDocument",
    "CurvePrediction",
    "CurveResultDocument",
    "evaluate_curve",
    "parse_curve_document",
    "result_document",
]


class CurveDocument(BaseModel):
    """Input of ``calib budget fit``: points, method and where to predict.

    The line is ``y = intercept + slope * (x - reference_x)``.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = ""
    x: list[float] = Field(description="Abscissae of the calibration points.")
    y: list[float] = Field(description="Ordinates, same length as x.")
    x_unit: str = ""
    y_unit: str = ""
    method: CurveMethod = Field(
        default="ols", description="ols (u(y) from the residuals), wls (u_y), wtls (u_x, u_y)."
    )
    u_x: list[float] | None = Field(default=None, description="u(x_i) > 0, wtls only.")
    u_y: list[float] | None = Field(default=None, description="u(y_i) > 0, wls and wtls.")
    reference_x: float = Field(default=0.0, description="x at which the intercept applies.")
    predict: list[float] = Field(default_factory=list, description="x values to evaluate at.")


class CoefficientResult(BaseModel):
    """An estimate and its standard uncertainty."""

    value: float
    standard_uncertainty: float
    unit: str = ""


class CurvePrediction(BaseModel):
    """The line at one x with the standard uncertainty including the covariance (GUM H.3)."""

    x: float
    value: float
    standard_uncertainty: float


class CurveResultDocument(BaseModel):
    """Output of ``calib budget fit`` (CONTRACTS.md section 2, plus extra fields)."""

    name: str = ""
    method: str
    reference_x: float
    x_unit: str = ""
    y_unit: str = ""
    intercept: CoefficientResult
    slope: CoefficientResult
    correlation: float
    covariance: list[list[float]]
    residual_standard_deviation: float
    dof: int
    chi_squared: float | None = None
    chi_squared_95: float | None = None
    consistent: bool | None = None
    iterations: int = 0
    predictions: list[CurvePrediction] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


def _field_path(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location) or "document"


def parse_curve_document(data: Any) -> CurveDocument:
    """Validate a decoded JSON document as a :class:`CurveDocument`.

    Raises
    ------
    InvalidInputError
        For the first problem, with ``field`` set to its dotted path (``method``,
        ``u_y.2``, ``colour`` for an unknown field).
    """
    if not isinstance(data, dict):
        raise InvalidInputError(
            f"a curve document must be a JSON object, got {type(data).__name__}",
            field="document",
        )
    try:
        return CurveDocument.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = _field_path(tuple(first["loc"]))
        kind = first["type"]
        if kind == "extra_forbidden":
            allowed = ", ".join(CurveDocument.model_fields)
            message = f"unknown field {path!r}; allowed fields: {allowed}"
        elif kind == "literal_error":
            message = f"{first['msg']}, got {first.get('input')!r}"
        else:
            message = f"{first['msg']} (got {first.get('input')!r})"
        raise InvalidInputError(message, field=path) from exc


def _slope_unit(x_unit: str, y_unit: str) -> str:
    """Unit of the slope: ``y_unit / x_unit`` (empty when both are the same)."""
    if x_unit == y_unit:
        return ""
    if not x_unit:
        return y_unit
    denominator = f"({x_unit})" if any(c in x_unit for c in " /*") else x_unit
    return f"{y_unit or '1'}/{denominator}"


def result_document(document: CurveDocument, line: LineFit) -> CurveResultDocument:
    """Build the output document from an input document and its fitted line."""
    warnings: list[str] = []
    if document.method == "ols" and (document.u_x is not None or document.u_y is not None):
        warnings.append("u_x/u_y are ignored by method 'ols' (u(y) comes from the residuals)")
    if document.method == "wls" and document.u_x is not None:
        warnings.append("u_x is ignored by method 'wls'; use 'wtls' to account for it")
    if line.consistent is False:
        warnings.append(
            f"observed chi-squared {line.chi_squared:.4g} exceeds its 95 % quantile "
            f"{line.chi_squared_95:.4g}: the stated uncertainties do not explain the scatter "
            "(ISO/TS 28037:2010 6.3 step 9)"
        )
    predictions = []
    for x in document.predict:
        value, u = line.predict(x)
        predictions.append(CurvePrediction(x=x, value=value, standard_uncertainty=u))
    return CurveResultDocument(
        name=document.name,
        method=line.method,
        reference_x=line.reference_x,
        x_unit=document.x_unit,
        y_unit=document.y_unit,
        intercept=CoefficientResult(
            value=line.intercept,
            standard_uncertainty=line.intercept_uncertainty,
            unit=document.y_unit,
        ),
        slope=CoefficientResult(
            value=line.slope,
            standard_uncertainty=line.slope_uncertainty,
            unit=_slope_unit(document.x_unit, document.y_unit),
        ),
        correlation=line.correlation,
        covariance=[[float(v) for v in row] for row in line.covariance],
        residual_standard_deviation=line.residual_standard_deviation,
        dof=line.dof,
        chi_squared=line.chi_squared,
        chi_squared_95=line.chi_squared_95,
        consistent=line.consistent,
        iterations=line.iterations,
        predictions=predictions,
        warnings=warnings,
    )


def evaluate_curve(data: Any) -> CurveResultDocument:
    """Validate a decoded curve document, fit the line and return the result document.

    References
    ----------
    JCGM 100:2008 H.3; ISO/TS 28037:2010 clauses 6, 7 and 11.2 (see
    :func:`uncertainty.curves.fit_line`).
    """
    document = data if isinstance(data, CurveDocument) else parse_curve_document(data)
    for index, x in enumerate(document.predict):
        if not math.isfinite(x):
            raise InvalidInputError(
                f"predict[{index}] must be a finite number, got {x!r}", field=f"predict.{index}"
            )
    line = fit_line(
        document.x,
        document.y,
        method=document.method,
        u_x=document.u_x,
        u_y=document.u_y,
        reference_x=document.reference_x,
    )
    return result_document(document, line)
