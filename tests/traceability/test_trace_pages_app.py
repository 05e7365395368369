"""Traceability pages through AppTest on the demo lab: assets, chain graph, impact, intervals, entry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from streamlit.testing.v1 import AppTest

AS_OF = dt.date(2026, 11, 23)  # DEMO_AS_OF of tests/conftest.py


def test_asset_register_lists_overdue_and_quarantined(
    signed_in_app: Callable[..., AppTest],
) -> None:
    app_test = signed_in_app("assessor", "trace_assets")
    app_test.date_input(key="trace_assets_as_of").set_value(AS_OF).run()
    assert not app_test.exception
    assert app_test.title[0].value == "Asset register"
    metrics = {m.label: m.value for m in app_test.metric}
    assert metrics["Overdue"] == "1" and metrics["Quarantined"] == "1"
    frames = [df.value for df in app_test.dataframe]
    everything = frames[0]  # tabs: all, due soon, overdue, quarantined
    overdue = next(f for f in frames[1:] if set(f["state"]) == {"overdue"})
    assert list(overdue["instrument"]) == ["WRK-HYG-01"]
    quarantined = next(f for f in frames[1:] if set(f["state"]) == {"quarantined"})
    assert list(quarantined["instrument"]) == ["REF-TMP-02"]
    assert not any(str(code).startswith("CUST-") for code in everything["instrument"])


def test_chain_page_lists_the_broken_links_and_draws_the_graph(
    signed_in_app: Callable[..., AppTest],
) -> None:
    app_test = signed_in_app("assessor", "trace_chain")
    app_test.date_input(key="trace_chain_as_of").set_value(AS_OF).run()
    assert not app_test.exception
    findings = app_test.dataframe[0].value
    text = " ".join(findings["findings"])
    for code in (
        "REFERENCE_EXPIRED_AT_USE",
        "REFERENCE_QUARANTINED_AT_USE",
        "OUTSIDE_ACCREDITED_SCOPE",
        "TUR_BELOW_MINIMUM",
        "NO_VALID_CERTIFICATE",
    ):
        assert code in text
    broken = findings[findings["findings"].str.contains("REFERENCE_QUARANTINED_AT_USE")]
    app_test.selectbox(key="trace_chain_certificate").set_value(broken["certificate"].iloc[0])
    app_test.run()
    assert not app_test.exception
    graphs = app_test.get("graphviz_chart")
    assert len(graphs) == 1
    dot = graphs[0].proto.spec
    assert "digraph chain" in dot and "REFERENCE_QUARANTINED_AT_USE" in dot
    assert "#c62828" in dot  # the broken link is drawn red
    assert any("REFERENCE_QUARANTINED_AT_USE" in e.value for e in app_test.error)


def test_impact_page_shows_the_demo_nonconformities(signed_in_app: Callable[..., AppTest]) -> None:
    app_test = signed_in_app("manager", "trace_impact")
    app_test.selectbox(key="trace_impact_instrument").set_value("REF-CAL-01")
    app_test.date_input(key="trace_impact_on").set_value(AS_OF - dt.timedelta(days=30))
    app_test.run()
    assert not app_test.exception
    table = app_test.dataframe[0].value
    assert len(table) > 0 and table["impacted"].all()
    assert table["nonconformity"].str.startswith("NC-").all()
    assert (table["customer_notified"] == True).sum() == 1  # noqa: E712 - one notified
    count = len(table)
    app_test.button(key="trace_impact_record").click().run()  # idempotent
    assert not app_test.exception
    again = app_test.dataframe[0].value
    assert list(again["nonconformity"]) == list(table["nonconformity"]) and len(again) == count


def test_assessor_cannot_raise_nonconformities_from_the_impact_page(
    signed_in_app: Callable[..., AppTest],
) -> None:
    app_test = signed_in_app("assessor", "trace_impact")
    assert not [b for b in app_test.button if b.key == "trace_impact_record"]


def test_interval_page_shows_both_methods_and_the_history_chart(
    signed_in_app: Callable[..., AppTest],
) -> None:
    app_test = signed_in_app("staff", "trace_intervals")
    app_test.selectbox(key="trace_intervals_instrument").set_value("WRK-MAS-02").run()
    assert not app_test.exception
    text = " ".join(m.value for m in app_test.markdown)
    assert "staircase" in text and "drift" in text
    assert len(app_test.get("arrow_vega_lite_chart")) + len(app_test.get("vega_lite_chart")) >= 1


def test_certificate_entry_saves_a_draft_and_names_a_bad_field(
    signed_in_app: Callable[..., AppTest],
) -> None:
    app_test = signed_in_app("staff", "trace_certificate_entry")
    app_test.text_input(key="trace_entry_number").input("INT-TEST-1")
    app_test.selectbox(key="trace_entry_instrument").set_value("CHK-DCV-01")
    app_test.date_input(key="trace_entry_due").set_value(AS_OF - dt.timedelta(days=400))
    app_test.button(key="trace_entry_save").click().run()
    assert not app_test.exception
    assert any("due_on" in e.value for e in app_test.error)
    app_test.date_input(key="trace_entry_due").set_value(AS_OF + dt.timedelta(days=300))
    app_test.button(key="trace_entry_save").click().run()
    assert not app_test.exception
    assert app_test.success[0].value == "Certificate INT-TEST-1 saved (draft)."
    assert not [p for p in app_test.get("page_link") if "certificate-entry" in str(p)]
