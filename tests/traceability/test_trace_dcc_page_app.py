"""The "Upload DCC" expander of the certificate entry page, through AppTest on the demo lab."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

DATA = Path(__file__).parent / "data"


@pytest.fixture
def entry_page(signed_in_app: Callable[..., AppTest]) -> AppTest:
    return signed_in_app("staff", "trace_certificate_entry")


def _upload(at: AppTest, data: bytes) -> None:
    at.file_uploader(key="trace_dcc_file").set_value(("dcc.xml", data, "text/xml"))
    at.run()
    assert not at.exception, at.exception


def test_upload_previews_then_saves_a_draft(entry_page: AppTest) -> None:
    at = entry_page
    # Without the item's serial: the demo instrument's own serial is not the fixture's.
    text = (DATA / "dcc_list.xml").read_text(encoding="utf-8").replace("LAB-ITEM-9", "")
    _upload(at, text.encode("utf-8"))
    preview = next(df.value for df in at.dataframe if "DCC element" in df.value.columns)
    assert list(preview["value"]) == [100.0, 500.5, 1000.0]
    assert set(preview["unit"]) == {"mV"}
    assert preview["DCC element"].iloc[2].endswith("dcc:quantity[1]#3")
    assert any("DCC-LIST-7" in m.value for m in at.markdown)
    assert not at.success  # nothing saved by the preview
    at.selectbox(key="trace_dcc_instrument").set_value("CHK-DCV-01")
    at.selectbox(key="trace_dcc_issuer").set_value("CALAB-FR")
    at.button(key="trace_dcc_save").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == ("Certificate DCC-LIST-7 saved from the DCC (draft, 3 point(s)).")
    at.button(key="trace_dcc_save").click().run()  # the same DCC again
    assert any("dcc:uniqueIdentifier" in e.value for e in at.error)


def test_a_bad_dcc_is_refused_naming_the_element(entry_page: AppTest) -> None:
    text = (DATA / "dcc_single.xml").read_text(encoding="utf-8")
    _upload(
        entry_page, text.replace("<si:uncertainty>0.00004", "<si:uncertainty>-0.00004").encode()
    )
    errors = [e.value for e in entry_page.error]
    assert errors and "si:expandedUnc/si:uncertainty" in errors[0] and "Not read" in errors[0]
    assert "trace_dcc_save" not in [b.key for b in entry_page.button]
