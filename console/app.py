"""The console's shell: the pages a signed-in role may open, rebuilt on every run, and signing out.

Page modules are files run by ``st.Page`` (so ``AppTest.switch_page`` can open them); each ends
with ``if __name__ == "__main__": render()``, which is how Streamlit runs a page file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from console import session
from console.text import md
from exercises.access import Caller, Role
from exercises.storage.faults import StorageFault

HERE = Path(__file__).resolve().parent
ICON = HERE / "assets" / "hotwash-icon.png"
"""The page icon, served by this server: nothing on a page is fetched from another host."""


@dataclass(frozen=True)
class PageSpec:
    file: str
    title: str
    icon: str
    section: str
    roles: frozenset[Role]
    default_for: frozenset[Role] = frozenset()


ALL_READERS = frozenset({Role.CONTROLLER, Role.EVALUATOR, Role.OBSERVER})

PAGES: tuple[PageSpec, ...] = (
    PageSpec("controller.py", "Dashboard", ":material/monitor_heart:", "Exercise",
             frozenset({Role.CONTROLLER}), frozenset({Role.CONTROLLER})),
    PageSpec("msel.py", "MSEL", ":material/list_alt:", "Exercise", frozenset({Role.CONTROLLER})),
    PageSpec("player.py", "My agency", ":material/support_agent:", "Exercise",
             frozenset({Role.PLAYER}), frozenset({Role.PLAYER})),
    PageSpec("evaluator.py", "Evaluation", ":material/fact_check:", "Exercise",
             frozenset({Role.EVALUATOR, Role.CONTROLLER}), frozenset({Role.EVALUATOR})),
    PageSpec("summary.py", "Summary & report", ":material/summarize:", "Exercise", ALL_READERS,
             frozenset({Role.OBSERVER})),
    PageSpec("feedback.py", "Feedback form", ":material/rate_review:", "Exercise", frozenset(Role)),
    PageSpec("program.py", "Corrective actions", ":material/task_alt:", "Program", frozenset(Role)),
    PageSpec("new_exercise.py", "New exercise", ":material/add_circle:", "Set-up", frozenset({Role.CONTROLLER})),
    PageSpec("exercises.py", "Exercises", ":material/call_split:", "Set-up", frozenset({Role.CONTROLLER})),
    PageSpec("templates.py", "Templates", ":material/inventory_2:", "Set-up", frozenset({Role.CONTROLLER})),
    PageSpec("designer.py", "Scenario designer", ":material/science:", "Set-up", frozenset({Role.CONTROLLER})),
)
SIGN_IN = PageSpec("signin.py", "Sign in", ":material/login:", "", frozenset())

ROLE_LABEL: dict[Role, str] = {
    Role.CONTROLLER: "Controller",
    Role.PLAYER: "Player",
    Role.EVALUATOR: "Evaluator",
    Role.OBSERVER: "Observer / commander",
}


def page(spec: PageSpec, *, default: bool) -> st.Page:
    return st.Page(HERE / spec.file, title=spec.title, icon=spec.icon, url_path=Path(spec.file).stem,
                   default=default)


def pages_for(caller: Caller | None) -> dict[str, list[st.Page]]:
    """The navigation of whoever is signed in on this tab; nobody sees only the sign-in page."""
    if caller is None:
        # Every page's address leads to the sign-in form, so a bookmarked page is where the user
        # lands once signed in (a page is told apart by its address alone).
        hidden = [st.Page(HERE / SIGN_IN.file, title=SIGN_IN.title, icon=SIGN_IN.icon,
                          url_path=Path(spec.file).stem) for spec in PAGES]
        return {"": [page(SIGN_IN, default=True), *hidden]}
    sections: dict[str, list[st.Page]] = {}
    for spec in PAGES:
        if caller.role in spec.roles:
            sections.setdefault(spec.section, []).append(page(spec, default=caller.role in spec.default_for))
    return sections


def identity(caller: Caller) -> None:
    """Who this tab is signed in as, and the way out."""
    with st.sidebar:
        st.caption("Signed in as")
        label = ROLE_LABEL[caller.role]
        if caller.agency:
            label += f" for {agency_name(caller)}"
        st.markdown(f"**{md(label)}**")
        if caller.name:
            st.caption(md(caller.name))
        st.caption(f"Exercise {caller.exercise_id}")
        st.button("Sign out", icon=":material/logout:", on_click=session.sign_out, key="sign_out",
                  width="stretch")


def agency_name(caller: Caller) -> str:
    if not caller.agency:
        return ""
    for agency in session.service().briefing(caller).agencies:
        if agency.id == caller.agency:
            return agency.name
    return caller.agency


def main() -> None:
    st.set_page_config(page_title="Hotwash", page_icon=str(ICON), layout="wide")
    try:
        caller = session.caller()
        session.sync_cookie()
        navigation = st.navigation(pages_for(caller), position="sidebar" if caller else "hidden")
        if caller is not None:
            identity(caller)
        navigation.run()
    except StorageFault as fault:
        # In words, and the page comes back by itself when the database answers again.
        session.show_fault(fault)
        session.wait_for_the_database()
