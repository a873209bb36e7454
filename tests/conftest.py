"""Suite-wide set-up: one throw-away signing key for the whole run.

Every process the tests start (writers, the command line, console servers) inherits the setting,
so they all sign with, and verify against, the same key, and no test touches a developer's own
key under var/."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from exercises.record.evidence import KEY_SETTING

os.environ[KEY_SETTING] = str(Path(tempfile.mkdtemp(prefix="hotwash-test-key-")) / "signing.key")
