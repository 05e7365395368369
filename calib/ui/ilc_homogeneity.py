"""The "PT item homogeneity" page: homogeneity and stability of PT items, ISO 13528:2022 Annex B.

Staff paste or upload the replicate measurements of the items (one row per item, one
column per replicate) and see the between-item standard deviation s_s against 0.3 σ_pt
(B.2.2) and the expanded criterion (B.2.3), and the stability difference |ȳ1 − ȳ2|
against 0.3 σ_pt (B.5). Nothing is stored: the page only calculates.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ilc.homogeneity import (
    HomogeneityCheck,
    expanded_criterion_factors,
    homogeneity_check,
    stability_check,
)
from ilc.tabular import parse_replicate_bytes, parse_replicate_grid
from uncertainty.errors import CalibError, InvalidInputError

__all__ = ["render", "sigma_pt_from_text"]


def sigma_pt_from_text(text: str, average: float) -> float | None:
    """σ_pt as typed: blank is ``None``, ``"15 %"`` is 15 % of the general average.

    Examples
    --------
    >>> round(sigma_pt_from_text("15%", 0.2), 12)
    0.03
    >>> sigma_pt_from_text("0,05", 0.2)
    0.05
    """
    raw = text.strip().replace(",", ".")
    if not raw:
        return None
    relative = raw.endswith("%")
    try:
        value = float(raw.rstrip("%").strip())
    except ValueError:
        raise InvalidInputError(
            f"sigma_pt must be a number or a percentage, got {text!r}", field="sigma_pt"
        ) from None
    if not value > 0:
        raise InvalidInputError(f"sigma_pt must be > 0, got {text!r}", field="sigma_pt")
    return value / 100 * abs(average) if relative else value


def _error(exc: CalibError) -> None:
    field = getattr(exc, "field", None)
    st.error(f"{field}: {exc}" if field else str(exc))


def _upload(label: str, key: str) -> None:
    st.file_uploader(
        f"… or upload {label} (.csv, .txt, .xlsx)", type=["csv", "txt", "xlsx"], key=key
    )


def _grid(key: str, *, min_items: int, min_replicates: int) -> list[list[float]]:
    """Replicates from the upload ``{key}_file`` if there is one, else from ``{key}_text``."""
    labels = bool(st.session_state.get("ilc_homogeneity_labels", False))
    upload = st.session_state.get(f"{key}_file")
    if upload is not None:
        return parse_replicate_bytes(
            upload.getvalue(),
            upload.name,
            first_column_labels=labels,
            min_items=min_items,
            min_replicates=min_replicates,
        )
    return parse_replicate_grid(
        st.session_state.get(f"{key}_text", ""),
        first_column_labels=labels,
        min_items=min_items,
        min_replicates=min_replicates,
    )


def _homogeneity_table(check: HomogeneityCheck, g: int, m: int) -> pd.DataFrame:
    rows: list[tuple[str, float | None, str]] = [
        ("general average x̄", check.mean, "B.3"),
        ("s_x, SD of the item averages", check.s_x, "B.3"),
        ("s_w, within-item SD", check.s_w, "B.3"),
        ("s_s, between-item SD", check.s_s, "B.3"),
    ]
    if check.criterion is not None:
        f1, f2 = expanded_criterion_factors(g, m)
        rows += [
            ("0.3 σ_pt", check.criterion, "B.2.2"),
            ("F1 = χ²₀.₉₅(g − 1)/(g − 1)", f1, "B.2.3"),
            ("F2 = (F₀.₉₅(g − 1, g(m − 1)) − 1)/m", f2, "B.2.3"),
            ("expanded criterion √(F1 (0.3 σ_pt)² + F2 s_w²)", check.expanded_criterion, "B.2.3"),
        ]
    return pd.DataFrame(rows, columns=["quantity", "value", "ISO 13528:2022"])


def render() -> None:
    """Draw the inputs, the homogeneity table and verdict, and the stability check."""
    st.title("PT item homogeneity and stability")
    st.caption(
        "ISO 13528:2022 Annex B: items are adequately homogeneous when s_s ≤ 0.3 σ_pt "
        "(B.2.2) or, allowing for the uncertainty of s_s, when s_s is within the expanded "
        "criterion (B.2.3); adequately stable when |ȳ1 − ȳ2| ≤ 0.3 σ_pt (B.5)."
    )
    st.text_area(
        "Homogeneity results: one row per item, replicates separated by spaces, tabs, "
        "commas or semicolons (decimal point)",
        key="ilc_homogeneity_text",
        height=200,
    )
    _upload("the homogeneity results", "ilc_homogeneity_file")
    st.checkbox("The first column is the item label", key="ilc_homogeneity_labels")
    st.text_input(
        "σ_pt, the standard deviation for proficiency assessment (a value, or e.g. "
        "'15 %' of the general average; blank: statistics only)",
        key="ilc_homogeneity_sigma",
    )
    try:
        samples = _grid("ilc_homogeneity", min_items=2, min_replicates=2)
    except CalibError as exc:
        if st.session_state.get("ilc_homogeneity_text", "").strip() or st.session_state.get(
            "ilc_homogeneity_file"
        ):
            _error(exc)
        else:
            st.info("Paste or upload the replicate results of at least 2 items.")
        return
    try:
        first = homogeneity_check(samples)
        sigma_pt = sigma_pt_from_text(st.session_state.get("ilc_homogeneity_sigma", ""), first.mean)
        check = homogeneity_check(samples, sigma_pt=sigma_pt)
    except CalibError as exc:
        _error(exc)
        return
    g, m = len(samples), len(samples[0])
    st.subheader(f"Homogeneity: {g} items × {m} replicates")
    if sigma_pt is not None:
        st.caption(f"σ_pt = {sigma_pt:.6g}")
    st.dataframe(
        _homogeneity_table(check, g, m),
        hide_index=True,
        key="ilc_homogeneity_table",
        column_config={"value": st.column_config.NumberColumn(format="%.6g")},
    )
    if check.passed:
        st.success("s_s ≤ 0.3 σ_pt: the items are adequately homogeneous (B.2.2).")
    elif check.passed_expanded:
        st.warning(
            "s_s > 0.3 σ_pt, but within the expanded criterion (B.2.3): the items may be "
            "accepted as adequately homogeneous."
        )
    elif check.passed_expanded is False:
        st.error("s_s exceeds the expanded criterion (B.2.3): not adequately homogeneous.")

    st.subheader("Stability (B.5)")
    st.text_area(
        "Stability results measured later (same layout; any number of items and replicates)",
        key="ilc_homogeneity_stability_text",
        height=120,
    )
    _upload("the stability results", "ilc_homogeneity_stability_file")
    try:
        later = _grid("ilc_homogeneity_stability", min_items=1, min_replicates=1)
    except CalibError as exc:
        if st.session_state.get("ilc_homogeneity_stability_text", "").strip() or (
            st.session_state.get("ilc_homogeneity_stability_file")
        ):
            _error(exc)
        return
    before = [v for item in samples for v in item]
    stab = stability_check(before, [v for item in later for v in item], sigma_pt=sigma_pt)
    frame = pd.DataFrame(
        [
            ("ȳ1, average of the homogeneity results", stab.mean_1),
            ("ȳ2, average of the stability results", stab.mean_2),
            ("|ȳ1 − ȳ2|", stab.difference),
            ("0.3 σ_pt", stab.criterion),
        ],
        columns=["quantity", "value"],
    )
    st.dataframe(
        frame,
        hide_index=True,
        key="ilc_homogeneity_stability_table",
        column_config={"value": st.column_config.NumberColumn(format="%.6g")},
    )
    if stab.passed:
        st.success("|ȳ1 − ȳ2| ≤ 0.3 σ_pt: the items are adequately stable (B.5).")
    elif stab.passed is False:
        st.error("|ȳ1 − ȳ2| > 0.3 σ_pt: the items are not adequately stable (B.5).")


if __name__ == "__main__":  # run as a Streamlit page script
    render()
