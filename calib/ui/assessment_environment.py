"""Environment: rooms, limits, logger CSV import, excursions, flagged jobs and their impact."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from calib.permissions import Permission, allowed
from calib.ui.context import current_site_id, current_user, db_session, today
from calib.ui.form_fields import optional_float
from uncertainty.errors import CalibError


def _trace(room_id: int, days: int) -> None:
    from calib.assessment.service import list_limits, room_readings

    end = dt.datetime.combine(today() + dt.timedelta(days=1), dt.time(), dt.UTC)
    start = end - dt.timedelta(days=days)
    user = current_user()
    with db_session() as session:
        readings = room_readings(session, user, room_id, start=start, end=end)
        limits = [lim for lim in list_limits(session, user, room_id) if lim.procedure_id is None]
    if not readings:
        st.info("No readings in this window.")
        return
    frame = pd.DataFrame(
        [{"time": r.time, "quantity": r.quantity, "value": r.value} for r in readings]
    )
    for quantity in sorted(frame["quantity"].unique()):
        data = frame[frame["quantity"] == quantity]
        chart = (
            alt.Chart(data)
            .mark_line()
            .encode(x="time:T", y=alt.Y("value:Q", scale=alt.Scale(zero=False), title=quantity))
        )
        rules = [
            {"limit": v}
            for lim in limits
            if lim.quantity == quantity
            for v in (lim.low, lim.high)
            if v is not None
        ]
        if rules:
            chart = chart + alt.Chart(pd.DataFrame(rules)).mark_rule(color="red").encode(
                y="limit:Q"
            )
        st.altair_chart(chart, use_container_width=True)


def _impact(user_can_edit: bool) -> None:
    from calib.assessment.service import IMPACT_DECISIONS, assess_impact, list_impact_assessments

    user = current_user()
    with db_session() as session:
        items = list_impact_assessments(session, user)
    st.subheader("Jobs performed during an excursion")
    if not items:
        st.info("No job was performed during an excursion.")
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Id": ia.id,
                    "Job": ia.job_id,
                    "Excursion": ia.excursion_id,
                    "Status": ia.status,
                    "Decision": ia.decision,
                    "Assessment": ia.assessment,
                    "By": ia.assessed_by,
                    "On": ia.assessed_on,
                }
                for ia in items
            ]
        ),
        hide_index=True,
        key="env_impacts",
    )
    open_items = [ia for ia in items if ia.status != "closed"]
    if not (user_can_edit and open_items):
        return
    with st.form("env_impact_form"):
        chosen = st.selectbox(
            "Impact assessment", [ia.id for ia in open_items], format_func=lambda i: f"#{i}"
        )
        text = st.text_area("Assessment (what was evaluated, ISO/IEC 17025 7.10.1 b)")
        decision = st.selectbox("Decision", IMPACT_DECISIONS)
        raise_nc = st.checkbox("Raise a nonconformity")
        if st.form_submit_button("Record impact assessment"):
            try:
                with db_session() as session:
                    assess_impact(
                        session,
                        user,
                        int(chosen or 0),
                        assessment=text,
                        decision=decision,
                        assessed_on=today(),
                        raise_nc=raise_nc,
                    )
                st.success("Recorded")
            except CalibError as exc:
                st.error(str(exc))


def _setup_forms() -> None:
    """Forms to add a room and a limit (lab staff, managers, admins; not assessors)."""
    from calib.assessment.service import add_limit, create_room, list_rooms
    from calib.lab import list_procedures, list_sites

    user = current_user()
    with db_session() as session:
        sites = list_sites(session, user)
        procedures = list_procedures(session, user)
    site_names = {int(s.id or 0): f"{s.code} · {s.name}" for s in sites}
    st.subheader("Add a room")
    with st.form("env_room_form", clear_on_submit=True):
        code = st.text_input("Room code", key="env_new_room_code")
        name = st.text_input("Room name", key="env_new_room_name")
        chosen_site = current_site_id()
        default = list(site_names).index(chosen_site) if chosen_site in site_names else 0
        site = st.selectbox(
            "Site", list(site_names), index=default, format_func=lambda i: site_names[int(i)],
            key="env_new_room_site",
        )  # fmt: skip
        if st.form_submit_button("Add room"):
            try:
                with db_session() as session:
                    room = create_room(session, user, site_id=int(site or 0), code=code, name=name)
                st.success(f"Room {room.code} added")
            except CalibError as exc:
                st.error(str(exc))
    with db_session() as session:  # re-read: the room just added is offered at once
        rooms = list_rooms(session, user, site_id=current_site_id())
    if not rooms:
        return
    room_names = {int(r.id or 0): f"{r.code} · {r.name}" for r in rooms}
    proc_names: dict[int, str] = {0: "all procedures"}
    proc_names.update({int(p.id or 0): f"{p.code} · {p.title}" for p in procedures})
    st.subheader("Add a limit")
    with st.form("env_limit_form", clear_on_submit=True):
        room_id = st.selectbox(
            "Room",
            list(room_names),
            format_func=lambda i: room_names[int(i)],
            key="env_new_limit_room",
        )
        quantity = st.text_input("Quantity (e.g. temperature, humidity)", key="env_new_limit_q")
        unit = st.text_input("Unit (e.g. degC, %RH)", key="env_new_limit_unit")
        low = st.text_input("Low limit (blank: none)", key="env_new_limit_low")
        high = st.text_input("High limit (blank: none)", key="env_new_limit_high")
        proc = st.selectbox(
            "Procedure",
            list(proc_names),
            format_func=lambda i: proc_names[int(i)],
            key="env_new_limit_proc",
        )
        if st.form_submit_button("Add limit"):
            try:
                lo = optional_float(low, "low")
                hi = optional_float(high, "high")
                with db_session() as session:
                    add_limit(
                        session, user, room_id=int(room_id or 0), quantity=quantity, unit=unit,
                        low=lo, high=hi, procedure_id=int(proc) if proc else None,
                    )  # fmt: skip
                st.success(f"Limit for {quantity} added")
            except CalibError as exc:
                st.error(str(exc))


def render() -> None:
    """The environment page."""
    from calib.assessment.service import import_logger_csv, list_excursions, list_limits, list_rooms

    st.title("Environment")
    user = current_user()
    with db_session() as session:
        rooms = list_rooms(session, user, site_id=current_site_id())
    if allowed(user.role, Permission.EDIT_RECORDS):
        with st.expander("Set up rooms and limits", expanded=not rooms):
            _setup_forms()
        with db_session() as session:
            rooms = list_rooms(session, user, site_id=current_site_id())
    if not rooms:
        st.info("No rooms yet.")
        return
    st.dataframe(
        pd.DataFrame(
            [
                {"Room": r.code, "Name": r.name, "Logging (min)": r.logging_interval_minutes}
                for r in rooms
            ]
        ),
        hide_index=True,
        key="env_rooms",
    )
    room_id = st.selectbox(
        "Room",
        [r.id for r in rooms],
        format_func=lambda i: next(f"{r.code} · {r.name}" for r in rooms if r.id == i),
        key="env_room",
    )
    rid = int(room_id or 0)
    with db_session() as session:
        limits = list_limits(session, user, rid)
        excursions = list_excursions(session, user, room_id=rid)
    st.markdown("**Limits**")
    st.dataframe(
        pd.DataFrame(
            [
                {"Quantity": lim.quantity, "Unit": lim.unit, "Low": lim.low, "High": lim.high,
                 "Procedure": str(lim.procedure_id or "all")}
                for lim in limits
            ]
        ),
        hide_index=True,
        key="env_limits",
    )  # fmt: skip
    days = st.slider("Days shown", 2, 120, 45, key="env_days")
    _trace(rid, days)
    st.subheader("Excursions")
    if excursions:
        st.dataframe(
            pd.DataFrame(
                [
                    {"Id": e.id, "Quantity": e.quantity, "Kind": e.kind, "Start": e.start,
                     "End": e.end, "Worst": e.worst_value, "Unit": e.unit}
                    for e in excursions
                ]
            ),
            hide_index=True,
            key="env_excursions",
        )  # fmt: skip
    else:
        st.info("No excursion recorded in this room.")
    can_edit = allowed(user.role, Permission.EDIT_RECORDS)
    _impact(can_edit)
    if can_edit:
        st.subheader("Import a logger file")
        upload = st.file_uploader("Logger CSV", type=["csv", "txt"], key="env_upload")
        if upload is not None and st.button("Import", key="env_import"):
            try:
                with db_session() as session:
                    batch, found, flagged = import_logger_csv(
                        session,
                        user,
                        room_id=rid,
                        content=upload.getvalue(),
                        filename=upload.name,
                        as_of=today(),
                    )
                st.success(
                    f"{batch.readings} readings imported; {len(found)} excursions, "
                    f"{len(flagged)} jobs flagged"
                )
            except CalibError as exc:
                st.error(str(exc))


if __name__ == "__main__":
    render()
