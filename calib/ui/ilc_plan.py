"""The "PT plan" page: coverage of each sub-discipline per site over the cycle (ILAC P9)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from calib.ui.context import current_site_id, current_user, db_session, today
from calib.ui.ilc_charts import VERDICT_COLOURS
from ilc.service import DUE_WITHIN_DAYS, pt_coverage

__all__ = ["render"]

_STATUS_COLOURS = {
    "covered": VERDICT_COLOURS["satisfactory"],
    "due": VERDICT_COLOURS["questionable"],
    "overdue": VERDICT_COLOURS["unsatisfactory"],
}


def _colour(text: object) -> str:
    colour = _STATUS_COLOURS.get(str(text))
    return f"color: {colour}; font-weight: 600" if colour else ""


def render() -> None:
    """Draw the coverage table for the selected site (all sites by default)."""
    user = current_user()
    st.title("PT plan coverage")
    st.caption(
        "At least one PT/ILC activity per sub-discipline within the accreditation cycle "
        f"(ILAC P9:01/2024 4.2); 'due' means within {DUE_WITHIN_DAYS} days."
    )
    with db_session() as session:
        rows = pt_coverage(session, user, as_of=today(), site_id=current_site_id())
    if not rows:
        st.info("No PT plan recorded.")
        return
    frame = pd.DataFrame([r.model_dump() for r in rows])
    counts = frame["status"].value_counts()
    c1, c2, c3 = st.columns(3)
    c1.metric("Covered", int(counts.get("covered", 0)))
    c2.metric("Due soon", int(counts.get("due", 0)))
    c3.metric("Overdue", int(counts.get("overdue", 0)))
    st.dataframe(frame.style.map(_colour, subset=["status"]), hide_index=True, key="ilc_plan")


if __name__ == "__main__":  # run as a Streamlit page script
    render()
