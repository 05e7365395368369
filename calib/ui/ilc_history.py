"""The "PT history" page: our lab's scores per measurand over time, with action signals.

Signals (ISO 13528:2022 9.4.2, 9.7.2; ISO 7870-2 test 2; ISO 13528:2005 7.6): one
|En| >= 1 or |z| >= 3; two consecutive warnings; nine scores on one side of zero;
a rescaled sum of z scores beyond ±3.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from calib.ui.context import current_user, db_session
from calib.ui.ilc_charts import history_chart
from ilc.service import list_measurands, measurand_history

__all__ = ["render"]


def render() -> None:
    """Draw the measurand selector, the history chart, the table and the signals."""
    user = current_user()
    st.title("PT history")
    with db_session() as session:
        measurands = list_measurands(session, user)
    if not measurands:
        st.info("No PT rounds yet.")
        return
    measurand = st.selectbox("Measurand", measurands, key="ilc_history_measurand")
    with db_session() as session:
        history = measurand_history(session, user, measurand)
    if not history.points:
        st.info("Our lab has no scored result for this measurand yet.")
        return
    frame = pd.DataFrame(
        [
            {
                "date": p.date,
                "round": p.round,
                "value": p.value,
                "x_pt": p.assigned_value,
                "En": p.en,
                "z": p.z,
                "ζ": p.zeta,
                "En verdict": p.en_verdict or "–",
                "z verdict": p.z_verdict or "–",
            }
            for p in history.points
        ]
    )
    st.altair_chart(history_chart(frame), use_container_width=True)
    st.dataframe(
        frame,
        hide_index=True,
        column_config={
            "value": st.column_config.NumberColumn(format="%.10g"),
            "x_pt": st.column_config.NumberColumn(format="%.10g"),
            "En": st.column_config.NumberColumn(format="%.2f"),
            "z": st.column_config.NumberColumn(format="%.2f"),
            "ζ": st.column_config.NumberColumn(format="%.2f"),
        },
    )
    if history.signals:
        for s in history.signals:
            st.error(f"**{s.round}**: {s.message} ({s.reference})")
    else:
        st.success("No action signal.")


if __name__ == "__main__":  # run as a Streamlit page script
    render()
