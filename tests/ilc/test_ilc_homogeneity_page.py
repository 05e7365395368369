"""The PT item homogeneity page through AppTest, on ISO 13528:2022 E.2 (Tables E.2, E.3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from ilc_annex_e import E2_HOMOGENEITY, E2_PRINTED, E2_STABILITY
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("calib.auth._hasher", PasswordHasher.from_parameters(CHEAPEST))


@pytest.fixture
def page(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("CALIB_DATABASE_URL", demo_url)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.text_input(key="signin_username").input("staff")
    at.text_input(key="signin_password").input("staff-demo")
    at.button[0].click()
    at.run()
    at.switch_page("calib/ui/ilc_homogeneity.py")
    at.run()
    assert not at.exception, at.exception
    return at


def _table(rows: list[list[float]], *, labels: bool) -> str:
    """Rows as a spreadsheet paste: a header line, optionally an item label column."""
    head = "item\treplicate 1\treplicate 2" if labels else "replicate 1\treplicate 2"
    lines = [
        "\t".join(([str(i + 1)] if labels else []) + [f"{v:.3f}" for v in row])
        for i, row in enumerate(rows)
    ]
    return "\n".join([head, *lines])


def _values(at: AppTest, index: int) -> dict[str, float]:
    """Table ``index`` of the page: 0 homogeneity, 1 stability."""
    frame = at.dataframe[index].value
    return dict(zip(frame["quantity"], frame["value"], strict=True))


def test_iso13528_e2_arsenic_in_chocolate_homogeneous_and_stable(page: AppTest) -> None:
    """E.2: x̄ 0.18715, s_x 0.00398, s_w 0.00556, s_s 0.00060 <= 0.3 σ_pt = 0.00842 with
    σ_pt = 15 % of the average; stability ȳ2 0.19375, |ȳ1 − ȳ2| 0.00660 <= 0.00842."""
    at = page
    assert at.title[0].value == "PT item homogeneity and stability"
    assert "Paste or upload" in at.info[0].value  # nothing entered yet
    at.text_area(key="ilc_homogeneity_text").input(_table(E2_HOMOGENEITY, labels=True))
    at.checkbox(key="ilc_homogeneity_labels").check()
    at.text_input(key="ilc_homogeneity_sigma").input("15 %")
    at.run()  # the stability input appears once the homogeneity results are valid
    at.text_area(key="ilc_homogeneity_stability_text").input(_table(E2_STABILITY, labels=True))
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    found = _values(at, 0)
    half = 0.5e-5  # the published values have 5 decimals
    assert found["general average x̄"] == pytest.approx(E2_PRINTED["mean"], abs=half)
    assert found["s_x, SD of the item averages"] == pytest.approx(E2_PRINTED["s_x"], abs=half)
    assert found["s_w, within-item SD"] == pytest.approx(E2_PRINTED["s_w"], abs=half)
    assert found["s_s, between-item SD"] == pytest.approx(E2_PRINTED["s_s"], abs=half)
    assert found["0.3 σ_pt"] == pytest.approx(E2_PRINTED["criterion"], abs=half)
    assert "adequately homogeneous (B.2.2)" in at.success[0].value
    stable = _values(at, 1)
    assert stable["ȳ2, average of the stability results"] == pytest.approx(
        E2_PRINTED["stability_mean"], abs=half
    )
    assert stable["|ȳ1 − ȳ2|"] == pytest.approx(E2_PRINTED["stability_difference"], abs=half)
    assert "adequately stable (B.5)" in at.success[1].value


def test_without_sigma_pt_only_the_statistics_are_shown(page: AppTest) -> None:
    page.text_area(key="ilc_homogeneity_text").input(_table(E2_HOMOGENEITY, labels=False)).run()
    found = _values(page, 0)
    assert "0.3 σ_pt" not in found
    assert found["s_s, between-item SD"] == pytest.approx(E2_PRINTED["s_s"], abs=0.5e-5)
    assert not page.success and not page.error


def test_inhomogeneous_items_fail_the_expanded_criterion(page: AppTest) -> None:
    page.text_area(key="ilc_homogeneity_text").input("1.00 1.01\n2.00 2.01\n3.00 3.02").run()
    page.text_input(key="ilc_homogeneity_sigma").input("0.1").run()
    assert "not adequately homogeneous" in page.error[0].value


@pytest.mark.parametrize(
    ("text", "sigma", "message"),
    [
        ("0.185 0.194\n0.187 x", "", "row 2, column 2: 'x' is not a number"),
        ("0.185 0.194\n0.187 0.189 0.190", "", "row 2: 3 replicates, but row 1 has 2"),
        ("0.185 0.194", "", "need at least 2 items"),
        ("0.185 0.194\n0.187 0.189", "-1", "sigma_pt: sigma_pt must be > 0"),
        ("0.185 0.194\n0.187 0.189", "abc", "sigma_pt must be a number or a percentage"),
    ],
)
def test_bad_input_is_named(page: AppTest, text: str, sigma: str, message: str) -> None:
    page.text_area(key="ilc_homogeneity_text").input(text)
    page.text_input(key="ilc_homogeneity_sigma").input(sigma)
    page.run()
    assert not page.exception, page.exception
    assert message in page.error[0].value
