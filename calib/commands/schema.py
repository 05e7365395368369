"""`calib schema NAME`: print the JSON Schema of a document (CONTRACTS.md)."""

from __future__ import annotations

import importlib
import json

import typer

from calib.cli_support import EXIT_BAD_INPUT

#: schema name -> "module:PydanticModel" (imported lazily).
SCHEMAS: dict[str, str] = {
    "budget": "uncertainty.schema:BudgetDocument",
    "budget-result": "uncertainty.schema:BudgetResultDocument",
    "curve": "uncertainty.curve_schema:CurveDocument",
    "curve-result": "uncertainty.curve_schema:CurveResultDocument",
    "ilc-round": "ilc.schema:RoundDocument",
    "ilc-result": "ilc.schema:ScoreReportDocument",
    "ilc-history": "ilc.documents:MeasurandHistory",
    "ilc-rounds": "ilc.documents:RoundSummary",
    "ilc-coverage": "ilc.documents:CoverageRow",
    "register": "traceability.schema:RegisterDocument",
    "trace-report": "traceability.schema:CheckReportDocument",
    "trace-impact": "traceability.schema:ImpactReportDocument",
    "trace-interval": "traceability.schema:IntervalReportDocument",
    "satisfaction-report": "satisfaction.schema:SatisfactionReportDocument",
    "evidence-manifest": "calib.assessment:ManifestDocument",
}


def _load(target: str) -> object | None:
    module_name, _, attribute = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module_name.startswith(exc.name):
            return None
        raise
    return getattr(module, attribute, None)


def schema(
    name: str | None = typer.Argument(None, help="Document name; see --list."),
    list_names: bool = typer.Option(False, "--list", help="List the schema names."),
) -> None:
    """Print the JSON Schema of a document (e.g. `calib schema budget`)."""
    if list_names or name is None:
        for key, target in SCHEMAS.items():
            typer.echo(f"{key:<20} {target}")
        if name is None and not list_names:
            raise typer.Exit(EXIT_BAD_INPUT)
        return
    if name not in SCHEMAS:
        typer.echo(f"error: unknown schema {name!r}; known: {', '.join(SCHEMAS)}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    model = _load(SCHEMAS[name])
    json_schema = getattr(model, "model_json_schema", None)
    if model is None or json_schema is None:
        typer.echo(f"error: schema {name!r} is not available yet ({SCHEMAS[name]})", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    typer.echo(json.dumps(json_schema(), indent=2, ensure_ascii=False))
