"""`calib ilc score`: the contract document, CSV input, exit codes and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ilc_annex_e import E4, E4_SIGMA_PT, E4_U_PT, E4_X_PT
from typer.testing import CliRunner

from calib.cli import app

runner = CliRunner()

CONTRACT_EXAMPLE = {
    "name": "DC voltage 10 V, round 2026-1",
    "unit": "V",
    "assigned_value": {
        "method": "reference",
        "value": 10.0000012,
        "expanded_uncertainty": 5e-7,
        "coverage_factor": 2,
    },
    "sigma_pt": 2e-6,
    "en_limit": 1.0,
    "results": [
        {
            "participant": "L01",
            "value": 10.0000021,
            "expanded_uncertainty": 1.5e-6,
            "coverage_factor": 2,
        }
    ],
}


def _write(tmp_path: Path, doc: object, name: str = "round.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["ilc", "score", *args])
    return result.exit_code, result.stdout, result.stderr


def test_contract_example_document(tmp_path: Path) -> None:
    """CONTRACTS.md section 3 example: En = 9e-7/sqrt(1.5e-6^2 + 5e-7^2) = 0.569,
    zeta = 9e-7/sqrt(7.5e-7^2 + 2.5e-7^2) = 1.14, z = 0.45, DoE U = 1.58e-6."""
    code, out, _ = _run(str(_write(tmp_path, CONTRACT_EXAMPLE)), "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["assigned_value"] == {
        "method": "reference",
        "value": 10.0000012,
        "standard_uncertainty": 2.5e-7,
        "expanded_uncertainty": 5e-7,
        "contributors": [],
    }
    assert set(doc["robust"]) >= {"mean", "sd", "iterations"}
    assert set(doc["consistency"]) >= {"chi2", "dof", "p_value", "consistent", "excluded"}
    row = doc["scores"][0]
    assert row["en"] == pytest.approx(0.569, abs=5e-4)
    assert row["zeta"] == pytest.approx(1.14, abs=5e-3)
    assert row["z"] == pytest.approx(0.45, abs=5e-3)
    assert row["deviation"] == pytest.approx(9e-7, abs=1e-12)
    assert row["degree_of_equivalence"] == pytest.approx(9e-7, abs=1e-12)
    assert row["doe_expanded_uncertainty"] == pytest.approx(1.58e-6, abs=5e-9)
    assert row["z_or_z_prime"] == "z"
    assert (row["en_verdict"], row["z_verdict"], row["zeta_verdict"]) == ("satisfactory",) * 3


def test_e4_csv_scores_and_exit_1(tmp_path: Path) -> None:
    """ISO 13528:2022 E.4 as CSV with the assigned value on the command line: En of L04 is
    -3.55 (Table E.7), so the round has an unsatisfactory result and the exit code is 1."""
    lines = ["participant,value,expanded_uncertainty,coverage_factor"]
    lines += [f"{r[0]},{r[1]},{r[2]},{r[3]}" for r in E4]
    path = tmp_path / "e4.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = [str(path), "--json", "--reference-value", str(E4_X_PT), "--reference-U", str(E4_U_PT)]
    args += ["--reference-k", "2", "--sigma-pt", str(E4_SIGMA_PT), "--unit", "mg/kg"]
    code, out, _ = _run(*args)
    assert code == 1
    doc = json.loads(out)
    first = doc["scores"][0]
    assert first["participant"] == "L04"
    assert first["en"] == pytest.approx(-3.55, abs=5e-3)
    assert first["z_prime"] == pytest.approx(-3.99, abs=5e-3)
    assert first["en_verdict"] == "unsatisfactory"
    assert doc["unit"] == "mg/kg"


def test_text_output_has_verdicts_in_words(tmp_path: Path) -> None:
    code, out, _ = _run(str(_write(tmp_path, CONTRACT_EXAMPLE)))
    assert code == 0
    assert "satisfactory / satisfactory / satisfactory" in out
    assert "L01" in out


def test_en_limit_flag_changes_the_verdict(tmp_path: Path) -> None:
    """|En| = 1.00 exactly: unsatisfactory with the ISO 13528:2022 limit 1.0, satisfactory
    with a limit just above 1 (ISO/IEC 17043:2010 reading)."""
    doc = json.loads(json.dumps(CONTRACT_EXAMPLE))
    doc["assigned_value"] = {
        "method": "reference",
        "value": 10.0,
        "expanded_uncertainty": 3.0,
        "coverage_factor": 2,
    }
    doc["sigma_pt"] = None
    doc["results"] = [
        {"participant": "L01", "value": 15.0, "expanded_uncertainty": 4.0, "coverage_factor": 2}
    ]
    path = _write(tmp_path, doc)
    code, out, _ = _run(str(path), "--json")
    assert code == 1 and json.loads(out)["scores"][0]["en_verdict"] == "unsatisfactory"
    code, out, _ = _run(str(path), "--json", "--en-limit", "1.0000001")
    assert code == 0 and json.loads(out)["scores"][0]["en_verdict"] == "satisfactory"


def test_robust_method_uses_s_star_for_z(tmp_path: Path) -> None:
    """ISO 13528:2022 E.3 via the CLI: robust x* = 0.2570, s* = 0.0395 (sigma_pt = s*)."""
    from ilc_annex_e import E3

    lines = ["participant,value,expanded_uncertainty,coverage_factor"]
    lines += [f"P{i:02d},{v},," for i, v in enumerate(E3)]
    path = tmp_path / "e3.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    code, out, _ = _run(str(path), "--json", "--method", "robust")
    doc = json.loads(out)
    assert doc["robust"]["mean"] == pytest.approx(0.2570, abs=5e-5)
    assert doc["robust"]["sd"] == pytest.approx(0.0395, abs=5e-5)
    assert doc["sigma_pt"] == pytest.approx(0.0395, abs=5e-5)
    assert doc["assigned_value"]["expanded_uncertainty"] == pytest.approx(2 * 0.0085, abs=1e-4)
    assert doc["scores"][0]["en"] is None and doc["scores"][0]["z"] is not None
    assert code == 1  # 0.040 is (0.040 - 0.257)/0.0395 = -5.5 sigma away


def test_weighted_mean_applies_covariance_and_records_it(tmp_path: Path) -> None:
    """Cox 2002: for a contributor to the weighted mean, u^2(D_i) = u_i^2 - u^2(y)."""
    doc = {
        "assigned_value": {"method": "weighted_mean"},
        "results": [
            {"participant": "A", "value": 1.0, "expanded_uncertainty": 2.0, "coverage_factor": 2},
            {"participant": "B", "value": 2.0, "expanded_uncertainty": 2.0, "coverage_factor": 2},
        ],
    }
    code, out, _ = _run(str(_write(tmp_path, doc)), "--json")
    report = json.loads(out)
    assert code == 0
    assert report["assigned_value"]["value"] == 1.5
    assert report["doe_convention"] == "covariance"
    row = report["scores"][0]
    assert row["covariance_applied"] is True
    assert row["doe_expanded_uncertainty"] == pytest.approx(2 * (1 - 0.5) ** 0.5)
    doc["doe_convention"] = "independent"
    code, out, _ = _run(str(_write(tmp_path, doc)), "--json")
    row = json.loads(out)["scores"][0]
    assert row["covariance_applied"] is False
    assert row["doe_expanded_uncertainty"] == pytest.approx(2 * (1 + 0.5) ** 0.5)


BAD_INPUTS = [
    (
        "negative U",
        {
            "results": [
                {
                    "participant": "L01",
                    "value": 1.0,
                    "expanded_uncertainty": -1,
                    "coverage_factor": 2,
                }
            ]
        },
        "expanded_uncertainty",
    ),
    (
        "k zero",
        {
            "results": [
                {
                    "participant": "L01",
                    "value": 1.0,
                    "expanded_uncertainty": 1,
                    "coverage_factor": 0,
                }
            ]
        },
        "coverage_factor",
    ),
    ("sigma_pt zero", {"sigma_pt": 0}, "sigma_pt"),
    ("unknown method", {"assigned_value": {"method": "mode"}}, "method"),
    ("unknown field", {"en_limt": 1.0}, "en_limt"),
    (
        "duplicate participants",
        {"results": [{"participant": "L01", "value": 1.0}, {"participant": "L01", "value": 2.0}]},
        "participant",
    ),
    (
        "U_lab = U_ref = 0",
        {
            "assigned_value": {
                "method": "reference",
                "value": 1.0,
                "expanded_uncertainty": 0,
                "coverage_factor": 2,
            },
            "results": [
                {
                    "participant": "L01",
                    "value": 1.0,
                    "expanded_uncertainty": 0,
                    "coverage_factor": 2,
                }
            ],
        },
        "expanded_uncertainty",
    ),
    (
        "too few for robust",
        {
            "assigned_value": {"method": "robust"},
            "results": [{"participant": "A", "value": 1.0}, {"participant": "B", "value": 2.0}],
        },
        "at least 3",
    ),
    (
        "s* collapses",
        {
            "assigned_value": {"method": "robust"},
            "results": [
                {"participant": f"P{i}", "value": 1.0 if i < 8 else 2.0} for i in range(10)
            ],
        },
        "s*",
    ),
]


@pytest.mark.parametrize(("label", "patch", "needle"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_exits_2_naming_the_field(
    tmp_path: Path, label: str, patch: dict[str, object], needle: str
) -> None:
    doc = {**json.loads(json.dumps(CONTRACT_EXAMPLE)), **patch}
    code, out, err = _run(str(_write(tmp_path, doc)), "--json")
    assert code == 2, (label, out, err)
    assert needle in err
    assert out == ""


def test_non_numeric_csv_cell_names_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "participant,value,expanded_uncertainty,coverage_factor\nL01,1.0,0.1,2\nL02,abc,0.1,2\n"
    )
    code, _, err = _run(str(path), "--reference-value", "1", "--reference-U", "0.1")
    assert code == 2
    assert "row 3, column value" in err and "'abc'" in err


def test_unknown_csv_method_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("participant,value,expanded_uncertainty,coverage_factor\nL01,1.0,0.1,2\n")
    code, _, err = _run(str(path), "--method", "mean")
    assert code == 2 and "--method" in err


def test_weighted_mean_largest_consistent_subset_lists_the_excluded(tmp_path: Path) -> None:
    """Cox 2002 procedure A fails (chi2 test), so the discrepant E is left out (Cox 2007)."""
    values = {"A": 1.0, "B": 1.2, "C": 0.9, "D": 1.1, "E": 5.0}
    doc = {
        "assigned_value": {"method": "weighted_mean"},
        "results": [
            {"participant": p, "value": v, "expanded_uncertainty": 0.2, "coverage_factor": 2}
            for p, v in values.items()
        ],
    }
    code, out, _ = _run(str(_write(tmp_path, doc)), "--json")
    report = json.loads(out)
    assert report["consistency"]["excluded"] == ["E"]
    assert report["consistency"]["consistent"] is True
    assert report["assigned_value"]["value"] == pytest.approx(1.05)
    assert report["assigned_value"]["contributors"] == ["A", "B", "C", "D"]
    assert code == 1  # E is far off
