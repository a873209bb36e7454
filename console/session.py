"""Who is signed in on this browser, and the service every session of this process shares.

The signed-in ``Caller`` is the only source of role and agency: it comes from signing in with an
access code, and is kept in ``st.session_state`` for the tab. Signing in also gives the browser a
random session token in a cookie (``exercises.service.sessions``: only its hash is stored, never the code),
so a reload, a new tab or a bookmarked page finds the session again: ``st.context.cookies`` holds
the cookies the browser sent when the page was opened. Every full run checks the token again, so
signing out, the exercise being closed, or a long idle time ends the session in every tab.
Never from ``st.query_params``.
"""

from __future__ import annotations

import functools
import json
import secrets
import time
import weakref
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import streamlit as st

from console import a11y
from console.derived import ViewCache
from console.text import md
from exercises.access import AccessDenied, Caller, ExerciseInputError, Role
from exercises.service.exercise_service import ExerciseCannotContinue, ExerciseService
from exercises.service.reading import ViewVersion
from exercises.service.sessions import IDLE_TIMEOUT, SessionStore, SignedIn, browser_id
from exercises.storage.faults import StorageFault

CALLER_KEY = "hotwash_caller"
SIGNED_KEY = "hotwash_signed"
"""The ``SignedIn`` session of this tab (with the token): for checking it again and signing out."""
COOKIE_KEY = "hotwash_cookie"
"""A cookie to hand to the browser on the next run: the new token, or "" to delete it."""
CHECKED_KEY = "hotwash_checked"
SIGNED_OUT_KEY = "hotwash_signed_out"
COOKIE = "hotwash_session"
BROWSER_COOKIE = "hotwash_browser"
"""A random id of this browser, so the sign-in throttle counts its wrong codes apart from those of
other browsers behind the same address (a proxy, an agency's network)."""
BROWSER_KEY = "hotwash_browser_id"
BROWSER_NEW_KEY = "hotwash_browser_new"
"""A browser id made in this tab, still to be handed to the browser as its cookie."""
BROWSER_COOKIE_AGE = 400 * 86_400
CHECK_EVERY = 10.0
"""Live parts check that the session is still open at most this often (seconds)."""
T = TypeVar("T")
P = ParamSpec("P")
RETRY_EVERY = 3
"""While the database is at fault, the page asks it again this often (seconds)."""


@st.cache_resource(show_spinner=False)
def service() -> ExerciseService:
    """One service per process: the database engine and the service's cache of the journal."""
    return ExerciseService.open()


@st.cache_resource(show_spinner=False)
def view_cache() -> ViewCache:
    """Expensive views, computed once per journal head and shared by every session here."""
    return ViewCache()


_STORES: weakref.WeakKeyDictionary[ExerciseService, SessionStore] = weakref.WeakKeyDictionary()


def store() -> SessionStore:
    """Sessions, read marks and the sign-in throttle of the service's database (one per service)."""
    svc = service()
    found = _STORES.get(svc)
    if found is None:
        found = _STORES.setdefault(svc, SessionStore(svc))
    return found


def caller() -> Caller | None:
    """Who this tab is signed in as: from its session state, else from the browser's cookie."""
    value = st.session_state.get(CALLER_KEY)
    signed = st.session_state.get(SIGNED_KEY)
    if isinstance(value, Caller):
        if isinstance(signed, SignedIn) and not _still_open(signed):
            _forget()
            st.session_state[NOTICE_KEY] = _why_ended(signed)
            return None
        return value
    token = st.context.cookies.get(COOKIE)
    if not isinstance(token, str) or not token or st.session_state.get(SIGNED_OUT_KEY):
        # The cookies are those the browser sent when the tab opened: after signing out here,
        # the old token is still among them (and revoked).
        return None
    resumed = store().resume(token)
    if resumed is None:
        _forget()  # an old or revoked token: the browser forgets it
        return None
    st.session_state[CALLER_KEY] = resumed.caller
    st.session_state[SIGNED_KEY] = SignedIn(resumed.caller, resumed.participant_id, resumed.session_id, token)
    return resumed.caller


def signed_in() -> SignedIn | None:
    value = st.session_state.get(SIGNED_KEY)
    return value if isinstance(value, SignedIn) else None


def _still_open(signed: SignedIn) -> bool:
    st.session_state[CHECKED_KEY] = time.monotonic()
    return store().resume(signed.token) is not None


def heartbeat() -> None:
    """In a live part: end this tab's session when it was ended elsewhere (sign-out, closed)."""
    signed = signed_in()
    if signed is None or time.monotonic() - float(st.session_state.get(CHECKED_KEY, 0.0)) < CHECK_EVERY:
        return
    if not _still_open(signed):
        _forget()
        st.session_state[NOTICE_KEY] = _why_ended(signed)
        st.rerun(scope="app")


def sync_cookie() -> None:
    """Hand the browser its session cookie (or delete it): once, by a script on the page.

    SameSite=Strict keeps it off requests from other sites; Secure when served over HTTPS. It is
    set by the page's own script because Streamlit has no response to set a header on."""
    browser()
    made = st.session_state.pop(BROWSER_NEW_KEY, None)
    if isinstance(made, str):
        _set_cookie(BROWSER_COOKIE, made, BROWSER_COOKIE_AGE)
    value = st.session_state.pop(COOKIE_KEY, None)
    if value is None:
        return
    _set_cookie(COOKIE, value, int(IDLE_TIMEOUT * 3) if value else 0)


def _set_cookie(name: str, value: str, age: int) -> None:
    st.html(
        "<script>document.cookie = " + json.dumps(f"{name}={value}; Path=/; Max-Age={age}; SameSite=Strict")
        + " + (location.protocol === 'https:' ? '; Secure' : '');</script>",
        unsafe_allow_javascript=True,
        width=1,
    )


def browser() -> str:
    """This browser's id for the sign-in throttle: from its cookie, else made now for this tab (and
    handed to the browser on this run). A browser that refuses cookies is a new one in each tab;
    the per-code and per-exercise limits hold it all the same."""
    known = st.session_state.get(BROWSER_KEY)
    if isinstance(known, str):
        return known
    found = browser_id(st.context.cookies.get(BROWSER_COOKIE))
    if not found:
        found = secrets.token_urlsafe(16)
        st.session_state[BROWSER_NEW_KEY] = found
    st.session_state[BROWSER_KEY] = found
    return found


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


def client() -> str:
    """Who is signing in, for the throttle: the connection's address (loopback when local)."""
    address = st.context.ip_address
    return address if isinstance(address, str) and address else "loopback"


def sign_in(code: str, name: str | None) -> Caller:
    """Check the code (throttled) and keep the caller for this tab and the session for the browser."""
    signed = store().sign_in(code, client=client(), browser=browser(), name=name or None)
    st.session_state.pop(SIGNED_OUT_KEY, None)
    st.session_state[CALLER_KEY] = signed.caller
    st.session_state[SIGNED_KEY] = signed
    st.session_state[COOKIE_KEY] = signed.token
    st.session_state[CHECKED_KEY] = time.monotonic()
    return signed.caller


def sign_out() -> None:
    """End the session (in the database, so every tab of this browser) and forget this tab's state."""
    signed = signed_in()
    if signed is not None:
        store().sign_out(signed.token)
    _forget()
    st.session_state[NOTICE_KEY] = "You have signed out."


NOTICE_KEY = "signin_notice"
ENDED_NOTICE = ("Your session has ended: you signed out in another tab, the exercise was closed, or it "
                "was idle too long. Sign in again with your access code.")


EXERCISE_ENDED_NOTICE = ("The exercise has ended: thank you for taking part. The record is now closed. Sign in "
                         "again with your access code to read it and the after-action report.")


def _why_ended(signed: SignedIn) -> str:
    """What a person reads when their session ended: the end of the exercise said as such."""
    return EXERCISE_ENDED_NOTICE if store().ended_at(signed.caller) is not None else ENDED_NOTICE


def _forget() -> None:
    for key in list(st.session_state.keys()):
        if key not in (BROWSER_KEY, BROWSER_NEW_KEY):  # the browser is the same one after signing out
            del st.session_state[key]
    st.session_state[SIGNED_OUT_KEY] = True
    st.session_state[COOKIE_KEY] = ""


def perform(what: str | Callable[[T], str], call: Callable[[], T], *, slot: str = "page") -> T | None:
    """Run one service call for a user's action; confirm it with a toast naming what was recorded,
    and the same words in the live region ``slot`` (``a11y.feedback``), which a screen reader reads.

    The confirmation is what a user (and a browser test) waits for: a click that reached the
    server and was written says so; a refused or bad one says why, and nothing was written."""
    try:
        result = call()
    except StorageFault as fault:
        st.toast(f"Not recorded: {_plain(fault)}", icon=":material/error:")
        show_fault(fault)
        return None
    except AccessDenied as exc:
        a11y.said(f"Not allowed: {exc}", ok=False, slot=slot)
        st.toast(f"Not allowed: {_plain(exc)}", icon=":material/block:")
        return None
    except ExerciseInputError as exc:
        a11y.said(f"Not recorded: {exc}", ok=False, slot=slot)
        st.toast(f"Not recorded: {_plain(exc)}", icon=":material/error:")
        return None
    done = what(result) if callable(what) else what
    a11y.said(done, slot=slot)
    st.toast(md(done), icon=":material/check_circle:")
    return result


FULL_RUN_KEY = "hotwash_full_run"
SHOWN_KEY = "hotwash_shown_version"
WATCH_EVERY = "2s"
"""How often an open page looks whether what it shows has changed (a cheap look, not a redraw)."""


def full_run() -> None:
    """At the top of a live page's run: this run draws the whole page (``watch`` notes what it shows)."""
    st.session_state[FULL_RUN_KEY] = True


def watch(caller: Caller) -> None:
    """In a page's watcher fragment (every ``WATCH_EVERY``): end the session if it was ended, let the
    simulation catch up with the clock, then rerun the whole page only when what it shows changed:
    new entries in the caller's view of the journal, or a deadline on it passed. Otherwise nothing
    but the fragment (the clock) is redrawn. The views a page draws are folded once per journal
    head in the service and shared by every session of the process."""
    heartbeat()
    svc = service()
    catch_up(svc, caller)
    now = svc.view_version(caller)
    if st.session_state.pop(FULL_RUN_KEY, False):
        st.session_state[SHOWN_KEY] = now  # noted before the page reads its views: never newer than them
        return
    shown = st.session_state.get(SHOWN_KEY)
    if not isinstance(shown, ViewVersion) or stale(shown, now):
        st.rerun(scope="app")


def stale(shown: ViewVersion, now: ViewVersion) -> bool:
    """Whether a page drawn at ``shown`` no longer shows what the journal says at ``now``."""
    return shown.version != now.version or (shown.next_due is not None and now.clock >= shown.next_due)


def catch_up(svc: ExerciseService, caller: Caller) -> None:
    """The simulation caught up with the exercise clock; an exercise this server's engine cannot
    continue says so on the page, which still shows what was recorded."""
    try:
        svc.tick(caller)
    except ExerciseCannotContinue as exc:
        said = str(exc)
        st.error(md(said[:1].upper() + said[1:]), icon=":material/update:")


def _plain(exc: Exception) -> str:
    return md(str(exc))


def show_fault(fault: StorageFault) -> None:
    """A fault of the database in words: what happened, that what was recorded is safe, what to do."""
    st.error(md(str(fault)), icon=":material/database:")


def in_words(part: Callable[P, None]) -> Callable[P, None]:
    """A live part that says a fault of the database in words where it would have drawn; it runs
    again on its own (``st.fragment(run_every=...)``), so it recovers by itself once the fault clears."""

    @functools.wraps(part)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            part(*args, **kwargs)
        except StorageFault as fault:
            show_fault(fault)

    return run


def wait_for_the_database() -> None:
    """After a fault on a whole page: load the page again every few seconds, until it works.

    A reload, not a fragment: a fault met before the page's navigation was built leaves no page for
    a fragment to rerun in. The browser's session cookie signs it in again on each load."""
    st.caption(f"Hotwash tries again every {RETRY_EVERY} seconds and goes on by itself once the fault is cleared.")
    st.html(f"<script>setTimeout(() => window.location.reload(), {RETRY_EVERY * 1000});</script>",
            unsafe_allow_javascript=True, width=1)
