"""Run the real console for browser tests: ``hotwash serve`` as a subprocess, Debian's Chromium.

A server is a separate process on a free loopback port with its own database URL; tests drive it
through Playwright exactly as a user's browser does, and read the journal back through the service.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, Playwright
from playwright.sync_api import Error as PlaywrightError

from exercises.access import Role
from exercises.service.exercise_service import CreatedExercise

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
APP_READY = "[data-testid='stApp'][data-test-connection-state='CONNECTED']"
SCRIPT_IDLE = "[data-test-script-state='notRunning']"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """One ``hotwash serve`` process."""

    port: int
    proc: subprocess.Popen[bytes]
    log: Path
    workdir: Path
    env: dict[str, str] = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: a crash, not a shutdown; nothing gets a chance to flush."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def start_server(database_url: str, workdir: Path, *extra_args: str, timeout: float = 90.0) -> Server:
    """Start ``hotwash serve`` in ``workdir`` and wait until its health check answers "ok"."""
    port = free_port()
    env = {**os.environ, "HOTWASH_DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / f"serve-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "hotwash", "serve", "--port", str(port), "--address", "127.0.0.1",
             *extra_args],
            cwd=workdir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            # Its own process group, so a kill takes Streamlit with it whatever it spawned.
            start_new_session=True,
        )
    server = Server(port=port, proc=proc, log=log, workdir=workdir, env=env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"hotwash serve exited with {proc.returncode}:\n{server.output()}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as resp:
                if resp.read().decode().strip() == "ok":
                    return server
        time.sleep(0.25)
    server.stop()
    raise RuntimeError(f"hotwash serve did not answer on port {port}:\n{server.output()}")


@contextlib.contextmanager
def running_server(database_url: str, workdir: Path, *extra_args: str) -> Iterator[Server]:
    server = start_server(database_url, workdir, *extra_args)
    try:
        yield server
    finally:
        server.stop()


def launch_chromium(pw: Playwright) -> Browser:
    return pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


NAVIGATION_TIMEOUT_MS = 120_000
"""A first page load on a machine whose cores are all busy can take well over 30 s (measured: a
load average of 30 on 2 cores); waiting for it is waiting on a condition, not sleeping."""


def wait_idle(page: Page, timeout: float = 90_000) -> None:
    """Connected and no script run in progress: what Streamlit's own e2e helpers wait for."""
    page.wait_for_selector(APP_READY, timeout=timeout)
    page.wait_for_selector(SCRIPT_IDLE, timeout=timeout)


def open_console(browser: Browser, url: str) -> Page:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    page = context.new_page()
    page.goto(url)
    wait_idle(page)
    return page


def sign_in(page: Page, code: str, name: str | None = None) -> None:
    """Sign in on the sign-in page, and wait for the server's confirmation."""
    page.get_by_role("textbox", name="Access code").fill(code)
    if name:
        page.get_by_role("textbox", name="Your name (optional)").fill(name)
    page.get_by_role("button", name="Sign in").click()
    wait_toast(page, "Signed in as")
    wait_idle(page)


def wait_toast(page: Page, text: str, timeout: float = 30_000) -> None:
    """The confirmation a user reads after an action reached the server and was recorded."""
    page.locator("[data-testid='stToast']", has_text=text).first.wait_for(timeout=timeout)


def current(page: Page) -> Locator:
    """The page's elements as the last script run drew them. While a rerun is under way (long on a
    busy machine) Streamlit keeps the previous run's elements on screen, marked stale, beside the new
    ones: a field read or filled there would be the old one."""
    return page.locator("[data-testid='stElementContainer'][data-stale='false']")


def choose(page: Page, label: str, option: str, tries: int = 5) -> None:
    """Pick ``option`` in the select box labelled ``label``. A page redrawn because the journal had
    news may close the list just opened: open it again, as a person would."""
    for attempt in range(tries):
        current(page).get_by_role("combobox", name=label, exact=True).first.click()
        wanted = page.get_by_role("option", name=option, exact=True).first
        try:
            wanted.wait_for(timeout=15_000)
            wanted.click(timeout=15_000)
            return
        except PlaywrightError:  # a timeout, or the list redrawn under the click
            if attempt == tries - 1:
                raise
            wait_idle(page)


def access_code(created: CreatedExercise, role: Role, agency: str | None = None) -> str:
    """The access code the exercise issued to ``role`` (for ``agency``)."""
    return next(c.code for c in created.codes if c.role is role and c.agency == agency)
