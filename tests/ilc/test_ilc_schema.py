"""Documents of CONTRACTS.md section 3: JSON Schema and field names."""

from __future__ import annotations

import pytest

from ilc.schema import RoundDocument, ScoreReportDocument, read_round_csv
from uncertainty.errors import InvalidInputError


def test_json_schemas_forbid_unknown_input_fields() -> None:
    schema = RoundDocument.model_json_schema()
    assert schema["additionalProperties"] is False
    assert {"assigned_value", "results", "sigma_pt", "en_limit"} <= set(schema["properties"])


def test_report_has_the_contract_fields() -> None:
    props = ScoreReportDocument.model_json_schema()["properties"]
    assert {"assigned_value", "sigma_pt", "robust", "consistency", "scores"} <= set(props)
    row = ScoreReportDocument.model_json_schema()["$defs"]["ScoreRow"]["properties"]
    contract = {
        "participant",
        "deviation",
        "en",
        "zeta",
        "z",
        "z_prime",
        "en_verdict",
        "z_verdict",
        "zeta_verdict",
        "degree_of_equivalence",
        "doe_expanded_uncertainty",
    }
    assert contract <= set(row)


def test_csv_reader_accepts_bom_blank_cells_and_flags() -> None:
    text = "\ufeffparticipant,value,expanded_uncertainty,coverage_factor,exclude_from_reference\n"
    text += "A,1.0,,,yes\nB,2.0,0.1,2,\n\n"
    doc = read_round_csv(text, method="median")
    assert [r.participant for r in doc.results] == ["A", "B"]
    assert doc.results[0].expanded_uncertainty is None
    assert doc.results[0].exclude_from_reference is True


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("participant,value\nA,1\n", "header"),
        ("participant,value,expanded_uncertainty,coverage_factor,extra\nA,1,,,x\n", "header"),
        (
            "participant,value,expanded_uncertainty,coverage_factor\nA,1,0.1,two\n",
            "row 2, column coverage_factor",
        ),
        (
            "participant,value,expanded_uncertainty,coverage_factor\nA,,0.1,2\n",
            "row 2, column value",
        ),
        (
            "participant,value,expanded_uncertainty,coverage_factor\nA,nan,0.1,2\n",
            "row 2, column value",
        ),
    ],
)
def test_csv_reader_names_the_bad_cell(text: str, where: str) -> None:
    with pytest.raises(InvalidInputError) as exc:
        read_round_csv(
            text, method="reference", reference_value=1.0, reference_expanded_uncertainty=0.1
        )
    assert exc.value.field == where
