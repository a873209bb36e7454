"""Sign in with an access code: the code alone decides the role (and a player's agency)."""

from __future__ import annotations

import streamlit as st

from console import a11y, session
from console.text import md
from exercises.access import AccessDenied, Caller, ExerciseInputError
from exercises.service.sessions import CodeNotValid, SignInThrottled
from exercises.storage.faults import StorageFault

DEMO_CODES_HINT = "var/demo-codes.txt"
# Set by a press of "Sign in": a refusal then takes the keyboard focus, once.
TRIED_KEY = "signin_tried"


def _submit() -> None:
    st.session_state[TRIED_KEY] = True
    code = str(st.session_state.get("signin_code", ""))
    name = str(st.session_state.get("signin_name", "")).strip()
    try:
        who = session.sign_in(code, name or None)
    except SignInThrottled as exc:
        said = str(exc)
        st.session_state["signin_error"] = f"Not signed in: {said[:1].upper()}{said[1:]}"
        return
    except CodeNotValid as exc:
        st.session_state["signin_error"] = not_valid(exc.tries_left, exc.scope)
        return
    except StorageFault as fault:
        st.session_state["signin_error"] = f"Not signed in: {fault}"
        return
    except (AccessDenied, ExerciseInputError) as exc:
        said = str(exc)
        st.session_state["signin_error"] = f"Not signed in: {said[:1].upper()}{said[1:]}."
        return
    st.session_state.pop("signin_error", None)
    st.session_state.pop(session.NOTICE_KEY, None)
    role = who.role.value + (f" for {agency_name(who)}" if who.agency else "")
    # Said on the page the browser lands on, whose heading takes the focus (a screen reader reads both).
    a11y.said(f"Signed in as {role}", focus="heading")
    st.toast(md(f"Signed in as {role}"), icon=":material/login:")


_WHAT_WAITS = {
    "browser": "this browser must wait before trying again",
    "code": "this access code is locked for a while",
    "exercise": "signing in to this exercise is locked for a while",
}


def not_valid(tries_left: int, scope: str) -> str:
    """A wrong code in words, with how many more the nearest limit allows in the hour."""
    then = _WHAT_WAITS.get(scope, _WHAT_WAITS["browser"])
    if tries_left <= 0:
        more = f"That was the last wrong code allowed in this hour: {then}."
    else:
        more = f"After {tries_left} more wrong code{'s' if tries_left != 1 else ''} in this hour, {then}."
    return f"That access code is not valid. Check it with your exercise controller. {more}"


def agency_name(who: Caller) -> str:
    names = {a.id: a.name for a in session.service().briefing(who).agencies}
    return names.get(who.agency or "", who.agency or "")


def render() -> None:
    middle = st.columns([1, 2, 1])[1]
    with middle:
        st.title("Hotwash")
        st.caption("Tabletop crisis exercises across agencies, and the after-action report.")
        with st.form("signin", border=True):
            st.text_input(
                "Access code",
                key="signin_code",
                type="password",
                placeholder="XXXXXX-XXXX-XXXX-XXXX-XXXX",
                help="Your controller gives each role and each agency its own code.",
            )
            st.text_input(
                "Your name (optional)",
                key="signin_name",
                max_chars=60,
                help="Shown beside what you record, so the after-action report can say who did it.",
            )
            st.form_submit_button("Sign in", type="primary", on_click=_submit, icon=":material/login:")
        notice = st.session_state.get(session.NOTICE_KEY)
        if notice:
            st.info(md(str(notice)), icon=":material/info:")
        error = st.session_state.get("signin_error")
        with st.container(key="a11y_live_signin"):
            # Inside a live region that is always on the page, so a screen reader reads a refusal.
            if error:
                st.error(md(str(error)), icon=":material/error:")
        if st.session_state.pop(TRIED_KEY, False) and error:
            a11y.focus(".st-key-a11y_live_signin [data-testid='stAlert']", a11y.next_nonce())
        st.caption(
            "Trying Hotwash for the first time? `hotwash serve` opened a demo exercise and printed its "
            f"codes; they are also in `{DEMO_CODES_HINT}` where the server was started."
        )


if __name__ == "__main__":
    render()
