"""Installable on a closed network: the bundle made by ``scripts/offline-bundle`` installs and runs in a
network namespace with no network at all (``unshare -n``), ending in a healthy console and a written
report. The Debian packages are left out here (``--no-debs``: the machine has them, and fetching them
takes minutes); README's offline section and the closing note of issue 30 give a run with them."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from tests.console.harness import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]

CLOSED = """
set -euo pipefail
ip link set lo up
if python3 -c "import socket; socket.create_connection(('pypi.org', 443), timeout=5)" 2>/dev/null; then
  echo "this namespace reaches the network"; exit 3
fi
bash "$BUNDLE/install.sh" "$TARGET"
cd "$TARGET"
.venv/bin/hotwash serve --port "$PORT" > serve.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; pkill -f "streamlit run $TARGET" || true' EXIT
healthy=""
for _ in $(seq 1 240); do
  if .venv/bin/python -c "import urllib.request as u; assert u.urlopen('http://127.0.0.1:$PORT/_stcore/health', timeout=2).read() == b'ok'" 2>/dev/null; then
    healthy=yes; break
  fi
  sleep 1
done
[ -n "$healthy" ] || { cat serve.log; exit 4; }
echo "console healthy"
.venv/bin/hotwash report 1 --out "$REPORT"
"""


def test_the_offline_bundle_installs_and_runs_with_no_network(tmp_path: Path) -> None:
    if os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.fail("a network namespace needs root, unshare and ip (CI runs as root on Debian)")
    bundle = tmp_path / "hotwash-offline.tar"
    made = subprocess.run(["bash", "scripts/offline-bundle", "--no-debs", str(bundle)], cwd=ROOT,
                          capture_output=True, text=True, timeout=1800)
    assert made.returncode == 0, made.stderr[-3000:]
    with tarfile.open(bundle) as archive:
        archive.extractall(tmp_path, filter="data")
    report = tmp_path / "aar.pdf"
    env = {**os.environ, "BUNDLE": str(tmp_path / "hotwash-offline"), "TARGET": str(tmp_path / "installed"),
           "PORT": str(free_port()), "REPORT": str(report)}
    env.pop("HOTWASH_DATABASE_URL", None)
    closed = subprocess.run(["unshare", "-n", "bash", "-c", CLOSED], env=env, capture_output=True, text=True,
                            timeout=1800)
    assert closed.returncode == 0, closed.stdout[-3000:] + closed.stderr[-3000:]
    assert "console healthy" in closed.stdout
    assert report.read_bytes().startswith(b"%PDF")
