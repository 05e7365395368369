"""The "Traceability chains" page: register check at a date and one certificate's chain graph.

Each link of the graph is coloured by its verdict on the day of use, with the reason as
label and tooltip (ISO/IEC 17025:2017 6.5; ILAC P10:07/2020).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from calib.ui.context import current_user, db_session, today
from traceability.service import chain_graph, check

__all__ = ["render"]


def render() -> None:
    """Draw the check summary, the findings table and the chosen certificate's chain."""
    user = current_user()
    st.title("Traceability chains")
    st.caption(
        "Every certificate judged as of its own calibration date; only the currency of each "
        "instrument's latest calibration depends on the date of the check."
    )
    as_of = st.date_input("Check as of", value=today(), key="trace_chain_as_of")
    with db_session() as session:
        result = check(session, user, as_of=as_of)
    if not result.verdicts:
        st.info("No certificate issued on or before this date.")
        return
    c1, c2, c3 = st.columns(3)
    c1.metric("Certificates", len(result.verdicts))
    c2.metric("Traceable", result.traceable)
    c3.metric("Not traceable", result.not_traceable)
    rows = [
        {
            "certificate": v.certificate,
            "instrument": v.instrument,
            "calibrated_on": v.calibrated_on,
            "traceable": v.traceable,
            "findings": ", ".join(f"{f.code} ({f.severity})" for f in v.findings),
            "chain": " > ".join(v.chain),
        }
        for v in result.verdicts
        if v.findings or not v.traceable
    ]
    st.subheader("Certificates with findings")
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, key="trace_chain_findings")
    else:
        st.success("No finding: every certificate traces to a recognised root.")
    choices: list[str] = [str(r["certificate"]) for r in rows] + [
        v.certificate for v in result.verdicts if not (v.findings or not v.traceable)
    ]
    chosen: str | None = st.selectbox("Certificate", choices, key="trace_chain_certificate")
    if chosen is None:
        return
    with db_session() as session:
        verdict, dot = chain_graph(session, user, chosen, as_of=as_of)
    st.subheader(f"Chain of {chosen}: {'traceable' if verdict.traceable else 'NOT traceable'}")
    st.graphviz_chart(dot)
    for finding in verdict.findings:
        text = f"**{finding.code}** ({finding.severity}, {finding.clause}): {finding.message}"
        if finding.severity == "fail":
            st.error(text)
        else:
            st.warning(text)


if __name__ == "__main__":  # run as a Streamlit page script
    render()
