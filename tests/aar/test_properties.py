"""Property tests: scoring is monotone in what agencies did, and the report survives any journal."""

from __future__ import annotations

import re
import string
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aar.model import RecordIntegrity
from aar.render.fonts import has_rtl
from aar.render.pdf import render_pdf
from aar.report import build_report
from aar.scoring import findings, severity
from exercises.record.entries import (
    ActionLogged,
    AnyPayload,
    ClockEnded,
    ClockPaused,
    ClockResumed,
    ClockSpeedChanged,
    ClockStarted,
    Correction,
    Development,
    Entry,
    ImprovementItemEdited,
    InjectAdded,
    InjectDelivered,
    InjectHeld,
    InjectReleased,
    InjectSkipped,
    LinkDown,
    LinkUp,
    MessageDelivered,
    MessageLost,
    MessageNotSent,
    MessageSent,
    ObservationRecorded,
    ResourceAssigned,
    ResourceReleased,
    ResourceRequested,
)
from exercises.scenario.model import Inject, Rating, Scenario
from tests.aar.builders import example_scenario, pdf_text, squash


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    return example_scenario(tmp_path_factory.mktemp("scenario"))


AGENCIES = ("fire", "operator", "eoc")
ACTIONS = ("establish_command", "notify_eoc", "activate_eoc", "size_up", "enter_building", "deploy_rit", "head_count")
SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# --- monotonicity: a journal of triggers and actions ---------------------------------------------

step = st.floats(min_value=0, max_value=15, allow_nan=False).map(lambda m: round(m * 60))
play_item = st.one_of(
    st.tuples(st.just("action"), st.sampled_from(ACTIONS), st.sampled_from(AGENCIES), step),
    st.tuples(st.just("report"), st.just("WF-01"), st.just(""), step),
    st.tuples(st.just("mayday"), st.just(""), st.just(""), step),
)


def play_journal(items: list[tuple[str, str, str, int]]) -> list[Entry]:
    entries = [Entry(seq=1, at=0, actor="controller", payload=ClockStarted())]
    at = 0.0
    for kind, name, agency, gap in items:
        at += gap
        payload: AnyPayload
        if kind == "action":
            payload = ActionLogged(action=name)
        elif kind == "report":
            payload = InjectDelivered(inject_id=name, to=("fire",))
        else:
            payload = Development(model="fire", what="collapse", raises=("mayday",))
        entries.append(
            Entry(seq=len(entries) + 1, at=at, agency=agency or None, actor="p", payload=payload)
        )
    # A fixed end: the end of play is not what these properties vary.
    entries.append(Entry(seq=len(entries) + 1, at=at + 3 * 3600, actor="controller", payload=ClockEnded()))
    return entries


def keyed(scenario: Scenario, journal: list[Entry], protocol_ids: set[str]) -> dict[tuple[str, int], tuple[int, float]]:
    return {f.key: severity(f) for f in findings(scenario, journal) if f.protocol_id in protocol_ids}


@SETTINGS
@given(items=st.lists(play_item, min_size=1, max_size=25), pick=st.integers(min_value=0), fraction=st.floats(0, 1))
def test_doing_an_expected_action_earlier_never_makes_a_finding_worse(
    scenario: Scenario, items: list[tuple[str, str, str, int]], pick: int, fraction: float
) -> None:
    journal = play_journal(items)
    actions = [e for e in journal if isinstance(e.payload, ActionLogged)]
    if not actions:
        return
    moved = actions[pick % len(actions)]
    assert isinstance(moved.payload, ActionLogged)
    mine = [p for p in scenario.protocols if p.action == moved.payload.action and p.agency == moved.agency]
    if not mine:
        return
    # Earlier, without crossing a trigger of its own protocols (crossing one makes it answer a
    # different trigger, which is a different finding rather than a better or worse one).
    before = findings(scenario, journal)
    floor = 0.0
    for f in before:
        if f.protocol_id in {p.id for p in mine} and f.triggered_at is not None and not f.before_trigger:
            if f.triggered_at <= moved.at:
                floor = max(floor, f.triggered_at)
    new_at = floor + (moved.at - floor) * fraction
    changed = [e.model_copy(update={"at": new_at}) if e.seq == moved.seq else e for e in journal]
    ids = {p.id for p in mine}
    old, new = keyed(scenario, journal, ids), keyed(scenario, changed, ids)
    assert old.keys() == new.keys()
    for key in old:
        assert new[key] <= old[key], (key, old[key], new[key])


@SETTINGS
@given(items=st.lists(play_item, min_size=1, max_size=25), pick=st.integers(min_value=0))
def test_removing_an_action_never_makes_a_finding_better(
    scenario: Scenario, items: list[tuple[str, str, str, int]], pick: int
) -> None:
    journal = play_journal(items)
    actions = [e for e in journal if isinstance(e.payload, ActionLogged)]
    if not actions:
        return
    gone = actions[pick % len(actions)]
    assert isinstance(gone.payload, ActionLogged)
    # Protocols whose trigger is the removed action lose a trigger instance: not comparable.
    ids = {
        p.id for p in scenario.protocols if not (p.trigger.kind == "action" and p.trigger.name == gone.payload.action)
    }
    old = keyed(scenario, journal, ids)
    new = keyed(scenario, [e for e in journal if e.seq != gone.seq], ids)
    assert old.keys() == new.keys()
    for key in old:
        assert new[key] >= old[key], (key, old[key], new[key])


# --- robustness: any journal of valid entry kinds ------------------------------------------------

user_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("<>&/'\"\n"),
    max_size=120,
)
ids = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=6).map(lambda s: "m" + s)
agency = st.sampled_from(AGENCIES)
capability = st.sampled_from(
    ["Operational Coordination", "Operational Communications", "Fire Management and Suppression", "Planning"]
)
added_inject = st.builds(
    lambda n, t, raises: Inject.model_validate(
        {"id": f"X-{n}", "time": t, "from": "simcell", "to": ["fire"], "mode": "radio", "synopsis": "Added",
         "text": "Added inject", "capability": "Operational Coordination", "raises": raises}
    ),
    st.integers(0, 99),
    st.floats(0, 7200),
    st.sampled_from([(), ("incident_reported",), ("mayday",)]),
)
payloads: st.SearchStrategy[AnyPayload] = st.one_of(
    st.just(ClockStarted()),
    st.just(ClockPaused()),
    st.just(ClockResumed()),
    st.builds(ClockSpeedChanged, speed=st.floats(0.5, 60)),
    st.just(ClockEnded()),
    st.builds(InjectDelivered, inject_id=st.sampled_from(["WF-01", "WF-02", "WF-03", "X-1", "NOPE"]),
              to=st.tuples(agency)),
    st.builds(InjectHeld, inject_id=st.just("WF-02"), reason=user_text),
    st.builds(InjectReleased, inject_id=st.just("WF-02")),
    st.builds(InjectAdded, inject=added_inject),
    st.builds(InjectSkipped, inject_id=st.just("WF-02"), reason=user_text),
    st.builds(ActionLogged, action=st.sampled_from(ACTIONS), text=user_text,
              inject_id=st.sampled_from([None, "WF-01", "WF-03"])),
    st.builds(MessageSent, message_id=ids, to=agency, text=user_text,
              due_at=st.one_of(st.none(), st.floats(0, 7200)), relay_to=st.sampled_from([(), ("eoc",), ("operator",)])),
    st.builds(MessageDelivered, message_id=ids, sender=agency, to=agency,
              path=st.sampled_from([("fire", "eoc"), ("operator", "fire", "eoc"), ("fire",)]),
              sent_at=st.floats(0, 7200), about=st.sampled_from([None, "notify_eoc"])),
    st.builds(MessageLost, message_id=ids, sender=agency, to=agency,
              reason=st.sampled_from(["no working path", "lost on link fire-operator", "lost on link a-b-c"]),
              lost_on=st.sampled_from([None, ("fire", "operator"), ("eoc", "nowhere")])),
    st.builds(MessageNotSent, message_id=ids, to=agency, text=user_text, about=st.sampled_from([None, "notify_eoc"])),
    st.builds(ResourceRequested, request_id=ids, to=agency, unit_type=st.just("engine"), count=st.integers(1, 5),
              text=user_text),
    st.builds(ResourceAssigned, request_id=ids, requester=agency, unit_type=st.just("engine"), count=st.integers(1, 5)),
    st.builds(ResourceReleased, request_id=ids, unit_type=st.just("engine"), count=st.integers(1, 5)),
    st.builds(LinkDown, between=st.sampled_from([("fire", "operator"), ("eoc", "fire"), ("eoc", "operator")]),
              reason=user_text),
    st.builds(LinkUp, between=st.sampled_from([("fire", "operator"), ("eoc", "fire")])),
    st.builds(ObservationRecorded, capability=capability, objective=st.sampled_from([None, "obj_command", "nope"]),
              critical_task=user_text, rating=st.sampled_from([None, *Rating]), strengths=user_text,
              areas_for_improvement=user_text, text=user_text),
    st.builds(ImprovementItemEdited, item_key=st.sampled_from(["protocol:NOT-01", "protocol:ORD-01", "observation:3", "x"]),
              fields=st.dictionaries(st.sampled_from(["issue", "element", "start_date", "completion_date", "owner"]),
                                     user_text, max_size=3)),
    st.builds(Correction, corrects=st.integers(1, 40), reason=user_text,
              replacement=st.one_of(st.none(), st.builds(ActionLogged, action=st.sampled_from(ACTIONS)))),
    st.builds(Development, model=st.just("fire"), what=st.just("spread"),
              raises=st.sampled_from([(), ("mayday",), ("incident_reported",)])),
)
entry_item = st.tuples(st.integers(0, 900), st.one_of(st.none(), agency), payloads)


def any_journal(items: list[tuple[int, str | None, AnyPayload]]) -> list[Entry]:
    at = 0.0
    out = []
    for seq, (gap, who, payload) in enumerate(items, start=1):
        at += gap
        out.append(Entry(seq=seq, at=at, agency=who, actor="someone", payload=payload))
    return out


def report_of(scenario: Scenario, journal: list[Entry], name: str = "Exercise") -> object:
    return build_report(
        scenario, journal, exercise_name=name, exercise_dates=(date(2025, 3, 1), date(2025, 3, 2)),
        integrity=RecordIntegrity(entries=len(journal), intact=True, head_hash=None), marking=None,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(entry_item, max_size=40))
def test_report_never_crashes_on_any_journal(scenario: Scenario, items: list[tuple[int, str | None, AnyPayload]]) -> None:
    report = report_of(scenario, any_journal(items))
    assert report.model_dump_json()  # type: ignore[attr-defined]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    items=st.lists(entry_item, min_size=5, max_size=40),
    name=st.text(alphabet=string.ascii_letters + "<>&/'\" =;" + "Жж中文مرحباשל ", min_size=1, max_size=60),
)
def test_pdf_renders_any_journal_and_any_name(
    scenario: Scenario, items: list[tuple[int, str | None, AnyPayload]], name: str
) -> None:
    pdf = render_pdf(report_of(scenario, any_journal(items), name))  # type: ignore[arg-type]
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "Appendix B: Exercise Participants" in text
    flat = squash(text)
    # Each stretch of visible ASCII, markup included, appears as typed; in a right-to-left name the
    # bidi algorithm rightly reorders neutral characters (';<'), so there only letters are held.
    pattern = r"[A-Za-z]+" if has_rtl(name) else r"[!-~]+"
    for run in re.findall(pattern, name):
        assert squash(run) in flat, run
