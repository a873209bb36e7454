"""Fixtures of the foundation tests: the scenario loader with each of its two YAML parsers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from exercises.scenario import loading


@pytest.fixture(params=["libyaml", "python"])
def yaml_parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Runs a test once with libyaml (what the loader uses where it is installed) and once with the
    pure-Python parser: a file must be refused the same way, with the same words and line, by both."""
    if request.param == "libyaml" and loading.CParser is None:
        pytest.skip("PyYAML here is built without libyaml")
    monkeypatch.setattr(loading, "USE_LIBYAML", request.param == "libyaml")
    yield request.param
