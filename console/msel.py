"""The MSEL for controllers: every inject with its status, and release, hold or add one."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st
from pydantic import ValidationError

from console import session
from console.derived import digest
from console.text import md
from console.widgets import exercise_header, msel_table
from exercises.access import AccessDenied, Caller, ExerciseInputError, Role
from exercises.record.entries import Entry, InjectDelivered, InjectReleased, InjectSkipped
from exercises.scenario.capabilities import CORE_CAPABILITIES
from exercises.scenario.durations import format_duration
from exercises.scenario.loading import SENDERS_OTHER_THAN_AGENCIES
from exercises.scenario.model import DeliveryMode, Inject, Scenario
from exercises.service.exercise_service import ExerciseService
from exercises.storage.faults import StorageFault
from exercises.views import (
    SENDER_NAMES,
    InjectStatus,
    MselRow,
    Words,
    condition_reason,
    condition_text,
    known_injects,
    skip_reason,
    words,
)

OPEN = (InjectStatus.SCHEDULED, InjectStatus.HELD)


@st.fragment(run_every="2s")
@session.in_words
def live(caller: Caller) -> None:
    session.heartbeat()
    svc = session.service()
    svc.tick(caller)
    state = svc.state(caller)
    scenario = svc.scenario(caller)
    exercise_header(state, subtitle=scenario.name)
    names = {a.id: a.name for a in scenario.agencies}
    rows = msel_rows(svc, caller)
    counts = {s: sum(1 for r in rows if r.status is s) for s in InjectStatus}
    st.caption(" · ".join(f"{n} {s.value}" for s, n in counts.items() if n))
    msel_table(rows, names, key="msel_table", vocab=scenario.vocabulary, height=900)


def msel_rows(svc: ExerciseService, caller: Caller) -> list[MselRow]:
    """The MSEL with each inject's status, from the exercise's digest (folded, not recomputed)."""
    return digest(session.view_cache(), caller.exercise_id, svc.scenario(caller), svc.journal(caller)).msel_rows()


def outcome(svc: ExerciseService, caller: Caller, released: Entry) -> tuple[str, bool]:
    """What became of a released inject, read back from the journal: delivered to whom, or
    skipped and why. The release is an instruction; the delivery is the simulation's entry."""
    svc.tick(caller)  # the simulation delivers (or skips) it at the release's time
    scenario = svc.scenario(caller)
    named = words(scenario)
    assert isinstance(released.payload, InjectReleased)
    inject_id = released.payload.inject_id
    override = " (controller override: its condition did not hold)" if released.payload.override else ""
    for e in svc.journal(caller)[released.seq:]:
        p = e.payload
        if isinstance(p, InjectDelivered) and p.inject_id == inject_id:
            return f"Inject {inject_id} delivered to {named.many(p.to)}{override}", True
        if isinstance(p, InjectSkipped) and p.inject_id == inject_id:
            injects = known_injects(scenario, svc.journal(caller))
            return f"Inject {inject_id} released but NOT delivered: {skip_reason(p, injects, named)}", False
    return f"Inject {inject_id} released; the simulation has not delivered it yet", False


def _release(caller: Caller, override: bool) -> None:
    inject_id = st.session_state.get("msel_pick")
    if not inject_id:
        return
    svc = session.service()
    try:
        released = svc.release_inject(caller, inject_id, override=override)
    except (AccessDenied, ExerciseInputError, StorageFault) as exc:
        st.toast(f"Not released: {md(str(exc))}", icon=":material/error:")
        return
    message, delivered = outcome(svc, caller, released)
    st.session_state["msel_outcome"] = (message, delivered)
    st.toast(md(message), icon=":material/check_circle:" if delivered else ":material/warning:")


def _hold(caller: Caller) -> None:
    inject_id = st.session_state.get("msel_pick")
    if not inject_id:
        return
    reason = str(st.session_state.get("msel_hold_reason", ""))
    session.perform(f"Inject {inject_id} held", lambda: session.service().hold_inject(caller, inject_id, reason=reason))


def condition_panel(inject: Inject, entries: Sequence[Entry], named: Words) -> bool:
    """The picked inject's addressees and, for a contingency inject, whether its condition holds
    now and why not. True when a plain release would deliver it."""
    st.caption(md(f"To {named.many(inject.to)} · MSEL time {format_duration(inject.time)}"))
    if inject.condition is None:
        return True
    st.caption(md(condition_text(inject, named)))
    why_not = condition_reason(inject, entries, named)
    if why_not is None:
        st.success("Its condition holds now: released, it is delivered.", icon=":material/check:")
        return True
    st.warning(md(f"Its condition does not hold now: {why_not}. Left alone, the simulation skips it at "
                  "its time. Released anyway, it is delivered and recorded as a controller override."),
               icon=":material/warning:")
    return False


@st.fragment(run_every="5s")
@session.in_words
def release_or_hold(caller: Caller) -> None:
    svc = session.service()
    rows = msel_rows(svc, caller)
    scenario = svc.scenario(caller)
    entries = svc.journal(caller)
    injects = known_injects(scenario, entries)
    pending = [r for r in rows if r.status in OPEN]
    labels = {r.inject_id: f"{r.inject_id} ({r.status.value}, {format_duration(r.time)}): {r.synopsis}"
              for r in pending}
    with st.container(border=True):
        st.header("Release or hold an inject")
        last = st.session_state.get("msel_outcome")
        if last:
            (st.success if last[1] else st.warning)(md(last[0]))
        if not pending:
            st.caption("No inject is waiting: every one has been delivered or skipped.")
            return
        pick = st.selectbox("Inject", list(labels), format_func=lambda i: labels[i], key="msel_pick")
        holds = condition_panel(injects[pick], entries, words(scenario)) if pick in injects else True
        st.text_input("Reason for holding (optional)", key="msel_hold_reason", max_chars=500)
        row = st.container(horizontal=True)
        with row:
            if holds:
                st.button("Release now", type="primary", icon=":material/send:", key="msel_release",
                          on_click=_release, args=(caller, False))
            else:
                st.button("Release anyway (controller override)", type="primary", icon=":material/send:",
                          key="msel_override", on_click=_release, args=(caller, True))
            st.button("Hold", icon=":material/pan_tool:", key="msel_hold", on_click=_hold, args=(caller,))


def build_inject(scenario: Scenario, values: dict[str, object]) -> Inject:
    """An inject from the form's values, validated like one in a scenario file."""
    data = {
        "id": str(values.get("id", "")).strip(),
        "time": str(values.get("time", "")).strip() or "0:00",
        "from": values.get("from"),
        "to": list(values.get("to") or []),  # type: ignore[call-overload]
        "mode": values.get("mode"),
        "synopsis": str(values.get("synopsis", "")).strip(),
        "text": str(values.get("text", "")).strip(),
        "expected_actions": list(values.get("expected") or []),  # type: ignore[call-overload]
        "capability": values.get("capability"),
    }
    objective = values.get("objective")
    if objective:
        data["objective"] = objective
    try:
        return Inject.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'inject'}: {str(err['msg']).removeprefix('Value error, ')}"
            for err in exc.errors(include_url=False)
        )
        raise ExerciseInputError(problems) from None


def _add(caller: Caller, scenario: Scenario) -> None:
    keys = ("id", "time", "from", "to", "mode", "synopsis", "text", "expected", "capability", "objective")
    values = {k: st.session_state.get(f"add_{k}") for k in keys}

    def add() -> object:
        inject = build_inject(scenario, values)
        return session.service().add_inject(caller, inject)

    if session.perform(f"Inject {values['id']} added", add) is not None:
        for k in ("id", "synopsis", "text"):
            st.session_state[f"add_{k}"] = ""


def add_inject(caller: Caller, scenario: Scenario) -> None:
    agencies = {a.id: a.name for a in scenario.agencies}
    senders = {**{s: SENDER_NAMES[s] for s in SENDERS_OTHER_THAN_AGENCIES}, **agencies}
    vocabulary = scenario.vocabulary
    capabilities = list(dict.fromkeys([*(c for o in scenario.objectives for c in o.capabilities),
                                       *CORE_CAPABILITIES]))
    objectives = {o.id: o.text for o in scenario.objectives}
    with st.form("add_inject", border=True):
        st.header("Add an inject")
        st.caption("Not on the MSEL: delivered at its time, or at once if that time has passed.")
        a, b, c = st.columns([1, 1, 2])
        a.text_input("Inject id", key="add_id", placeholder="X-01", max_chars=32)
        b.text_input("Time (H:MM)", key="add_time", placeholder="1:30", max_chars=10)
        c.selectbox("From", list(senders), format_func=lambda i: senders[i], key="add_from")
        st.multiselect("To", list(agencies), format_func=lambda i: agencies[i], key="add_to")
        d, e = st.columns(2)
        d.selectbox("Mode", [m.value for m in DeliveryMode], key="add_mode")
        e.selectbox("Core capability", capabilities, key="add_capability")
        st.text_input("Synopsis", key="add_synopsis", max_chars=200)
        st.text_area("Text the players receive", key="add_text", max_chars=4000)
        st.multiselect("Expected actions", list(vocabulary), format_func=lambda i: vocabulary[i],
                       key="add_expected")
        st.selectbox("Objective (optional)", [None, *objectives], key="add_objective",
                     format_func=lambda i: "none" if i is None else objectives[i])
        st.form_submit_button("Add inject", type="primary", icon=":material/add:", on_click=_add,
                              args=(caller, scenario))


def render() -> None:
    caller = session.require_caller(Role.CONTROLLER)
    live(caller)
    svc = session.service()
    scenario = svc.scenario(caller)
    left, right = st.columns(2)
    with left:
        release_or_hold(caller)
    with right:
        add_inject(caller, scenario)
    st.caption(md(f"{scenario.name}: {len(scenario.msel)} injects on the MSEL."))


if __name__ == "__main__":
    render()
