"""Who is signed in on this browser tab, and the service every session of this process shares.

The signed-in ``Caller`` is the only source of role and agency: it is set by signing in with an
access code and kept in ``st.session_state`` (per tab, lost on reconnect after a restart, which
means signing in again; nothing of the exercise lives there). Never from ``st.query_params``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from console.derived import ViewCache
from console.text import md
from exercises.access import AccessDenied, Caller, ExerciseInputError, Role
from exercises.service import ExerciseService

CALLER_KEY = "hotwash_caller"
T = TypeVar("T")


@st.cache_resource(show_spinner=False)
def service() -> ExerciseService:
    """One service per process: the database engine and the service's cache of the journal."""
    return ExerciseService.open()


@st.cache_resource(show_spinner=False)
def view_cache() -> ViewCache:
    """Expensive views, computed once per journal head and shared by every session here."""
    return ViewCache()


def caller() -> Caller | None:
    value = st.session_state.get(CALLER_KEY)
    return value if isinstance(value, Caller) else None


def require_caller(*roles: Role) -> Caller:
    """The signed-in caller, if their role may see this page; otherwise stop the page here.

    The navigation only lists a role's own pages; this stops a page reached some other way from
    drawing anything. The service checks every call again regardless."""
    who = caller()
    if who is None or (roles and who.role not in roles):
        st.warning("This page is not available to you. Sign in with an access code for it.")
        st.stop()
    assert who is not None
    return who


def sign_in(code: str, name: str | None) -> Caller:
    """Check the code with the service and keep the caller for this tab."""
    who = service().sign_in(code, name=name or None)
    st.session_state[CALLER_KEY] = who
    return who


def sign_out() -> None:
    """Forget everything this tab held: the caller and every bit of UI state."""
    for key in list(st.session_state.keys()):
        del st.session_state[key]


def perform(what: str, call: Callable[[], T]) -> T | None:
    """Run one service call for a user's action; confirm it with a toast naming what was recorded.

    The confirmation is what a user (and a browser test) waits for: a click that reached the
    server and was written says so; a refused or bad one says why, and nothing was written."""
    try:
        result = call()
    except AccessDenied as exc:
        st.toast(f"Not allowed: {_plain(exc)}", icon=":material/block:")
        return None
    except ExerciseInputError as exc:
        st.toast(f"Not recorded: {_plain(exc)}", icon=":material/error:")
        return None
    st.toast(md(what), icon=":material/check_circle:")
    return result


def _plain(exc: Exception) -> str:
    return md(str(exc))
