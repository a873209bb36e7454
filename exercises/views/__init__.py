"""What the console shows, computed from the scenario and the journal: pure functions, no I/O.

Every view is a function of (scenario, entries[, time]); the service only decides who may call
which one. The modules, by what they show: ``clock`` (the exercise clock), ``wording`` (entries in
words, names for ids), ``timeline`` (the timeline, an agency's log and inbox), ``msel`` (the MSEL
with status), ``protocol_clock`` (what is due, overdue and done), ``media_feed`` (the public
information desk). The names below are the package's API, so callers write ``views.inbox(...)``.

Text in these results is what users and scenario authors typed: renderers must escape it.
"""

from exercises.views.clock import CLOCK_KINDS, Clock, ClockStatus, derive_clock
from exercises.views.msel import InjectStatus, MselFolder, MselRow, msel_status
from exercises.views.protocol_clock import ProtocolClockFolder, ProtocolInstance, protocol_clock
from exercises.views.timeline import (
    OWN_LOG_KINDS,
    InboxItem,
    TimelineItem,
    addressed_to,
    agency_log,
    in_own_log,
    inbox,
    timeline,
    visible_to_agency,
)
from exercises.views.wording import (
    SENDER_NAMES,
    IncidentNames,
    UnitForms,
    Words,
    agency_kind,
    agency_names,
    condition_reason,
    condition_text,
    describe,
    describe_in,
    development_words,
    field_label,
    incident_names,
    known_injects,
    message_texts,
    skip_reason,
    unit_label,
    unit_names,
    units,
    words,
)

__all__ = [
    "CLOCK_KINDS", "OWN_LOG_KINDS", "SENDER_NAMES", "Clock", "ClockStatus", "InboxItem", "IncidentNames",
    "InjectStatus",
    "MselFolder", "MselRow", "ProtocolClockFolder", "ProtocolInstance", "TimelineItem", "UnitForms", "Words",
    "addressed_to", "agency_kind", "agency_log", "agency_names", "condition_reason", "condition_text", "derive_clock",
    "describe", "describe_in", "development_words", "field_label", "in_own_log", "inbox", "incident_names",
    "known_injects", "message_texts",
    "msel_status", "protocol_clock", "skip_reason", "timeline", "unit_label", "unit_names", "units",
    "visible_to_agency", "words",
]
