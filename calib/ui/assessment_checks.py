"""Check standards: I-MR or X-bar/R charts with Western Electric signals, capability."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from calib.permissions import Permission, allowed
from calib.ui.context import current_site_id, current_user, db_session, today
from calib.ui.form_fields import optional_float
from uncertainty.errors import CalibError, InvalidInputError


def _chart(
    values: list[float], centre: float, lcl: float, ucl: float, flagged: set[int], title: str
) -> None:
    frame = pd.DataFrame(
        {
            "point": list(range(1, len(values) + 1)),
            "value": values,
            "signal": ["signal" if i in flagged else "ok" for i in range(len(values))],
        }
    )
    line = (
        alt.Chart(frame)
        .mark_line(point=False)
        .encode(x="point:Q", y=alt.Y("value:Q", scale=alt.Scale(zero=False), title=title))
    )
    points = (
        alt.Chart(frame)
        .mark_point(filled=True)
        .encode(
            x="point:Q",
            y="value:Q",
            color=alt.Color(
                "signal:N", scale=alt.Scale(domain=["ok", "signal"], range=["#1f4e9e", "red"])
            ),
        )
    )
    limits = pd.DataFrame({"y": [lcl, centre, ucl], "kind": ["LCL", "centre", "UCL"]})
    rules = (
        alt.Chart(limits)
        .mark_rule(strokeDash=[4, 4])
        .encode(y="y:Q", color=alt.Color("kind:N", scale=alt.Scale(range=["red", "grey", "red"])))
    )
    st.altair_chart(line + points + rules, use_container_width=True)


def _add_standard_form() -> None:
    """Register a check standard, with optional specification limits."""
    from calib.assessment.service import create_check_standard, set_specification_limit
    from calib.lab import list_sites

    user = current_user()
    with db_session() as session:
        sites = list_sites(session, user)
    site_names = {int(s.id or 0): f"{s.code} · {s.name}" for s in sites}
    with st.form("checks_standard_form", clear_on_submit=True):
        code = st.text_input("Code", key="checks_new_code")
        name = st.text_input("Description", key="checks_new_name")
        quantity = st.text_input("Quantity (e.g. mass)", key="checks_new_quantity")
        unit = st.text_input("Unit (e.g. mg)", key="checks_new_unit")
        nominal = st.text_input("Nominal value (blank: none)", key="checks_new_nominal")
        lsl = st.text_input("Lower specification limit (blank: none)", key="checks_new_lsl")
        usl = st.text_input("Upper specification limit (blank: none)", key="checks_new_usl")
        chosen_site = current_site_id()
        default = list(site_names).index(chosen_site) if chosen_site in site_names else 0
        site = st.selectbox(
            "Site", list(site_names), index=default, format_func=lambda i: site_names[int(i)],
            key="checks_new_site",
        )  # fmt: skip
        if st.form_submit_button("Add check standard"):
            try:
                nom = optional_float(nominal, "nominal")
                lo = optional_float(lsl, "lsl")
                hi = optional_float(usl, "usl")
                with db_session() as session:
                    standard = create_check_standard(
                        session, user, site_id=int(site or 0), code=code, name=name,
                        unit=unit, quantity=quantity, nominal=nom,
                    )  # fmt: skip
                    if lo is not None or hi is not None:
                        set_specification_limit(
                            session, user, int(standard.id or 0), lsl=lo, usl=hi
                        )
                st.success(f"Check standard {standard.code} added")
            except CalibError as exc:
                st.error(str(exc))


def _measurement_form(standard_id: int) -> None:
    """Enter one measurement (date, value, by) of the chosen check standard."""
    from calib.assessment.service import add_check_measurements

    user = current_user()
    with st.form("checks_measurement_form", clear_on_submit=True):
        day = st.date_input("Date", value=today(), key="checks_meas_date")
        value = st.text_input("Value", key="checks_meas_value")
        by = st.text_input("Measured by (blank: you)", key="checks_meas_by")
        if st.form_submit_button("Add measurement"):
            try:
                number = optional_float(value, "value")
                if number is None:
                    raise InvalidInputError("value must not be empty", field="value")
                if not isinstance(day, dt.date):
                    raise InvalidInputError("choose a date", field="date")
                at = dt.datetime.combine(day, dt.time(12), dt.UTC)
                with db_session() as session:
                    add_check_measurements(
                        session, user, standard_id, [(at, number, None)], performed_by=by.strip()
                    )
                st.success("Measurement added")
            except CalibError as exc:
                st.error(str(exc))


def render() -> None:
    """The check-standards page."""
    from calib.assessment.service import (
        check_standard_capability,
        check_standard_chart,
        list_check_standards,
    )
    from calib.assessment.spc import IndividualsChart

    st.title("Check standards")
    user = current_user()
    with db_session() as session:
        standards = list_check_standards(session, user, site_id=current_site_id())
    can_edit = allowed(user.role, Permission.EDIT_RECORDS)
    if can_edit:
        with st.expander("Add a check standard", expanded=not standards):
            _add_standard_form()
        with db_session() as session:
            standards = list_check_standards(session, user, site_id=current_site_id())
    if not standards:
        st.info("No check standards yet.")
        return
    chosen = st.selectbox(
        "Check standard",
        [s.id for s in standards],
        format_func=lambda i: next(f"{s.code} · {s.name}" for s in standards if s.id == i),
        key="checks_standard",
    )
    standard = next(s for s in standards if s.id == chosen)
    if can_edit:
        with st.expander("Enter a measurement"):
            _measurement_form(int(chosen or 0))
    with db_session() as session:
        chart = check_standard_chart(session, user, int(chosen or 0), until=today())
        cap = check_standard_capability(session, user, int(chosen or 0), until=today())
    if chart is None:
        st.info("Not enough measurements for a chart yet.")
        return
    flagged = {i for s in chart.signals for i in s.indices}
    if isinstance(chart, IndividualsChart):
        st.subheader("Individuals (I) chart")
        _chart(list(chart.values), chart.centre, chart.lcl, chart.ucl, flagged, standard.unit)
        st.subheader("Moving range (MR) chart")
        _chart(
            list(chart.moving_ranges),
            chart.mr_centre,
            chart.mr_lcl,
            chart.mr_ucl,
            set(),
            standard.unit,
        )
        limits = {
            "centre": chart.centre,
            "σ̂ = MR̄/d2": chart.sigma,
            "LCL": chart.lcl,
            "UCL": chart.ucl,
        }
    else:
        st.subheader("X-bar chart")
        lim = chart.limits
        _chart(
            list(chart.means), lim.grand_mean, lim.xbar_lcl, lim.xbar_ucl, flagged, standard.unit
        )
        st.subheader("R chart")
        _chart(list(chart.ranges), lim.mean_range, lim.r_lcl, lim.r_ucl, set(), standard.unit)
        limits = {
            "grand mean": lim.grand_mean,
            "R̄": lim.mean_range,
            "LCL": lim.xbar_lcl,
            "UCL": lim.xbar_ucl,
        }
    st.caption(
        f"Limits frozen from the first {chart.baseline} points (Montgomery 2009, 6.4; ISO 7870-2)"
    )
    st.dataframe(
        pd.DataFrame([{"Quantity": k, "Value": f"{v:.4g}"} for k, v in limits.items()]),
        hide_index=True,
        key="checks_limits",
    )
    st.subheader("Western Electric signals")
    if chart.signals:
        st.dataframe(
            pd.DataFrame(
                [
                    {"Rule": s.rule, "Side": s.side, "Points": ", ".join(str(i + 1) for i in s.indices),
                     "Description": s.description}
                    for s in chart.signals
                ]
            ),
            hide_index=True,
            key="checks_signals",
        )  # fmt: skip
    else:
        st.success("In statistical control: no Western Electric signal.")
    st.subheader("Capability")
    if cap is None:
        st.info("No specification limits for this process.")
        return
    spec, result = cap
    rows = []
    for name, est in (
        ("Cp", result.cp),
        ("Cpk", result.cpk),
        ("Pp", result.pp),
        ("Ppk", result.ppk),
    ):
        if est is not None:
            rows.append({"Index": name, "Value": f"{est.value:.2f}",
                         "95 % interval": f"{est.lower:.2f} to {est.upper:.2f}"})  # fmt: skip
    st.caption(f"LSL {spec.lsl}, USL {spec.usl} {standard.unit} ({spec.source}); n = {result.n}")
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="checks_capability")


if __name__ == "__main__":
    render()
