"""The console's shell: the pages a signed-in role may open, rebuilt on every run, and signing out.

Page modules are files run by ``st.Page`` (so ``AppTest.switch_page`` can open them); each ends
with ``if __name__ == "__main__": render()``, which is how Streamlit runs a page file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from console import a11y, session
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
    roles: frozenset[Role]
    default_for: frozenset[Role] = frozenset()


ALL_READERS = frozenset({Role.CONTROLLER, Role.EVALUATOR, Role.OBSERVER})

PAGES: tuple[PageSpec, ...] = (
    PageSpec("controller.py", "Dashboard", ":material/monitor_heart:",
             frozenset({Role.CONTROLLER}), frozenset({Role.CONTROLLER})),
    PageSpec("msel.py", "MSEL", ":material/list_alt:", frozenset({Role.CONTROLLER})),
    PageSpec("player.py", "My agency", ":material/support_agent:",
             frozenset({Role.PLAYER}), frozenset({Role.PLAYER})),
    PageSpec("evaluator.py", "Evaluation", ":material/fact_check:",
             frozenset({Role.EVALUATOR, Role.CONTROLLER}), frozenset({Role.EVALUATOR})),
    PageSpec("summary.py", "Summary & report", ":material/summarize:", ALL_READERS,
             frozenset({Role.OBSERVER})),
    PageSpec("feedback.py", "Feedback form", ":material/rate_review:", frozenset(Role)),
    PageSpec("program.py", "Corrective actions", ":material/task_alt:", frozenset(Role)),
    PageSpec("new_exercise.py", "New exercise", ":material/add_circle:", frozenset({Role.CONTROLLER})),
    PageSpec("exercises.py", "Exercises", ":material/call_split:", frozenset({Role.CONTROLLER})),
    PageSpec("templates.py", "Templates", ":material/inventory_2:", frozenset({Role.CONTROLLER})),
    PageSpec("designer.py", "Scenario designer", ":material/science:", frozenset({Role.CONTROLLER})),
)
SIGN_IN = PageSpec("signin.py", "Sign in", ":material/login:", frozenset())

ROLE_LABEL: dict[Role, str] = {
    Role.CONTROLLER: "Controller",
    Role.PLAYER: "Player",
    Role.EVALUATOR: "Evaluator",
    Role.OBSERVER: "Observer / commander",
}


def page(spec: PageSpec, *, default: bool) -> st.Page:
    return st.Page(HERE / spec.file, title=spec.title, icon=spec.icon, url_path=Path(spec.file).stem,
                   default=default)


def pages_for(caller: Caller | None) -> list[st.Page]:
    """The navigation of whoever is signed in on this tab; nobody sees only the sign-in page.

    One flat list in the order of ``PAGES`` (exercise, program, set-up): Streamlit draws a sectioned
    menu's headers inside its list, which breaks the list for screen readers."""
    if caller is None:
        # Every page's address leads to the sign-in form, so a bookmarked page is where the user
        # lands once signed in (a page is told apart by its address alone).
        hidden = [st.Page(HERE / SIGN_IN.file, title=SIGN_IN.title, icon=SIGN_IN.icon,
                          url_path=Path(spec.file).stem) for spec in PAGES]
        return [page(SIGN_IN, default=True), *hidden]
    return [page(spec, default=caller.role in spec.default_for) for spec in PAGES if caller.role in spec.roles]


def identity(caller: Caller) -> None:
    """Who this tab is signed in as, and the way out."""
    with st.sidebar:
        label = ROLE_LABEL[caller.role]
        if caller.agency:
            label += f" for {agency_name(caller)}"
        st.markdown(f"Signed in as  \n**{md(label)}**")
        if caller.name:
            st.caption(md(caller.name))
        # Read once per tab: an exercise's name does not change.
        key = f"exercise_name_{caller.exercise_id}"
        if key not in st.session_state:
            st.session_state[key] = session.service().exercise_name(caller)
        st.caption(md(st.session_state[key]))
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
        # Each page its own title in the browser's tab and history ("MSEL - Hotwash").
        st.set_page_config(page_title=f"{navigation.title} - Hotwash")
        a11y.page_setup()
        if caller is not None:
            identity(caller)
        # What an action on a form without a place of its own said (and "Signed in as ..."), announced.
        a11y.feedback("page")
        navigation.run()
    except StorageFault as fault:
        # In words, and the page comes back by itself when the database answers again.
        session.show_fault(fault)
        session.wait_for_the_database()
