"""The customer feedback form: no sign-in, reached only through a single-use link.

``app.py`` shows this page alone (no navigation, no sign-in) when nobody is signed
in and the address has ``?token=...`` (or the session already holds a token).
The token is read once, kept in ``st.session_state`` and removed from the address
bar (``st.query_params.clear()``). Unknown, used and expired links all get the
same neutral message. After a submit the address says ``?feedback=received`` so
that a reload shows "already received". Nothing is pre-selected; every error
names its question; the comment is stored and shown as inert text.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from calib.ui.context import db_session
from satisfaction.schema import MAX_COMMENT_CHARS, QUESTION_LABELS, validate_submission
from satisfaction.service import (
    NEUTRAL_LINK_MESSAGE,
    RECEIVED_MESSAGE,
    FeedbackLinkError,
    invitation_is_open,
    submit_feedback,
)
from uncertainty.errors import InvalidInputError

__all__ = ["STATE_KEY", "TOKEN_KEY", "is_feedback_request", "render"]

TOKEN_KEY = "calib_feedback_token"
STATE_KEY = "calib_feedback_state"
NOT_APPLICABLE = "Not applicable"
REOPEN_MESSAGE = (
    "For your security the link was removed from the address bar. Please open the link "
    "from your invitation again."
)
THANK_YOU = "Thank you! Your feedback was received. It helps us improve our service."

_SCALE = {
    1: "1 – very dissatisfied",
    2: "2 – dissatisfied",
    3: "3 – neutral",
    4: "4 – satisfied",
    5: "5 – very satisfied",
}
_DIMENSIONS = ("quality", "timeliness", "technical_accuracy", "communication")


def is_feedback_request() -> bool:
    """True when this browser session is a customer's feedback visit."""
    params = st.query_params
    return (
        "token" in params
        or "feedback" in params
        or TOKEN_KEY in st.session_state
        or STATE_KEY in st.session_state
    )


def _rating(name: str, *, not_applicable: bool) -> int | str | None:
    options: list[int | str] = [1, 2, 3, 4, 5]
    if not_applicable:
        options.append(NOT_APPLICABLE)
    value: int | str | None = st.radio(
        QUESTION_LABELS[name],
        options,
        index=None,
        horizontal=True,
        key=f"feedback_{name}",
        format_func=lambda v: _SCALE.get(v, str(v)) if isinstance(v, int) else str(v),
    )
    return value


def _read_token() -> None:
    params = st.query_params
    if "token" in params:
        st.session_state[TOKEN_KEY] = str(params.get("token") or "")[:200]
        st.session_state.pop(STATE_KEY, None)
        st.query_params.clear()
        st.query_params["feedback"] = "open"


def _form(token: str) -> None:
    st.write(
        "Please tell us how we did on your calibration job. Please answer every question; "
        "choose *Not applicable* where a question does not apply. The comment is optional."
    )
    with st.form("feedback_form"):
        overall = _rating("overall", not_applicable=False)
        answers: dict[str, int | str | None] = {"overall": overall}
        for name in _DIMENSIONS:
            answers[name] = _rating(name, not_applicable=True)
        recommend = st.radio(
            QUESTION_LABELS["recommend"],
            list(range(11)),
            index=None,
            horizontal=True,
            key="feedback_recommend",
            help="0 = not at all likely, 10 = extremely likely",
        )
        comment = st.text_area(
            QUESTION_LABELS["comment"], max_chars=MAX_COMMENT_CHARS, key="feedback_comment"
        )
        may_contact = st.checkbox(QUESTION_LABELS["may_contact"], key="feedback_may_contact")
        submitted = st.form_submit_button("Send feedback")
    if not submitted:
        return
    missing = [
        name
        for name, value in (("overall", overall), *answers.items(), ("recommend", recommend))
        if value is None
    ]
    if missing:
        for name in dict.fromkeys(missing):
            st.error(f"{QUESTION_LABELS[name]}: please answer this question")
        return
    data: dict[str, object] = {
        name: None if value == NOT_APPLICABLE else value for name, value in answers.items()
    }
    data.update({"recommend": recommend, "comment": comment or "", "may_contact": may_contact})
    try:
        submission = validate_submission(data)
        with db_session() as session:
            submit_feedback(session, token, submission, dt.datetime.now(dt.UTC))
    except InvalidInputError as exc:
        st.error(str(exc))
        return
    except FeedbackLinkError:
        st.session_state[STATE_KEY] = "invalid"
        st.rerun()
    st.session_state[STATE_KEY] = "done"
    st.query_params["feedback"] = "received"
    st.rerun()


def render() -> None:
    """Draw the form, the thank-you note or the neutral message."""
    _read_token()
    st.title("Your feedback")
    state = st.session_state.get(STATE_KEY)
    token = st.session_state.get(TOKEN_KEY)
    if state == "done":
        st.success(THANK_YOU)
        return
    if state == "invalid":
        st.info(NEUTRAL_LINK_MESSAGE)
        return
    if not isinstance(token, str):
        if st.query_params.get("feedback") == "received":
            st.success(RECEIVED_MESSAGE)
        else:
            st.info(REOPEN_MESSAGE)
        return
    with db_session() as session:
        valid = invitation_is_open(session, token, dt.datetime.now(dt.UTC))
    if not valid:
        st.session_state[STATE_KEY] = "invalid"
        st.info(NEUTRAL_LINK_MESSAGE)
        return
    _form(token)


if __name__ == "__main__":  # run as a Streamlit page script
    render()
