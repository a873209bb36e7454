"""The journal's canonical JSON is RFC 8785's, byte for byte: hashes of entries depend on it."""

from __future__ import annotations

import math

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from exercises.record.journal import canonical

floats = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(lambda x: round(x, 3)),
    st.integers(min_value=-(2**60), max_value=2**60).map(float),
    st.sampled_from([0.0, -0.0, 1e-4, 9.999e-5, 1e16, 1e21, 1e-7, 5.0, 0.1, 2**53 + 0.0]),
)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**55), max_value=2**55), floats, st.text(max_size=20)
)
keys = st.one_of(st.text(max_size=8), st.sampled_from(["at", "payload", "é", "\U0001f600", "\ue000", "a b"]))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=12,
)


def rfc(value: object) -> bytes | type[Exception]:
    try:
        return rfc8785.dumps(value)
    except Exception as exc:  # what rfc8785 refuses, canonical refuses the same way
        return type(exc)


@given(values)
@settings(max_examples=600)
def test_canonical_is_rfc8785_byte_for_byte(value: object) -> None:
    try:
        ours: bytes | type[Exception] = canonical(value)
    except Exception as exc:
        ours = type(exc)
    assert ours == rfc(value)


def test_payload_shaped_values() -> None:
    payload = {"action": "establish_command", "text": "Line 1\n\"quoted\" \\ \t é 中", "inject_id": None,
               "at": 3600.0, "sent_at": 12.345, "path": ["a", "b"], "count": 2, "queue_wait": 0.0,
               "detail": {"patient": 7, "category": "red"}, "small": 1e-9, "big": 1e300, "neg": -0.0}
    assert canonical(payload) == rfc8785.dumps(payload)
    assert math.isclose(float(canonical(3.25)), 3.25)
