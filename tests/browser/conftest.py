"""Real-browser tests: Debian's Chromium driven by Playwright against the one-command run.

The demo (``sagopalgo demo``) runs as a subprocess on free ports with a fresh data directory, as a
newcomer would start it; Chromium is launched by path (no browser download can work here). Both
are required: under CI a missing Chromium fails the tests, never skips them (elsewhere the plugin
deselects them with a notice, as it does integration tests without their servers). Screenshots of the main
pages go to ``test-artifacts/browser/`` (ignored by git; CI keeps it).
"""

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Playwright, sync_playwright

from sagopalgo.testing.plugin import CHROMIUM
from sagopalgo.testing.procs import BIN, LOAD_LIMITS, free_port

FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
PHONE = {"width": 390, "height": 844}
_REFUSAL = re.compile(r"Failed to load resource: the server responded with a status of 4\d\d")


@dataclass
class Demo:
    api: str
    sse: str
    output: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """``sagopalgo demo --fresh`` on free ports, ready when both services say so."""
    api_port, sse_port = free_port(), free_port()
    data = tmp_path_factory.mktemp("browser-demo")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAGOPALGO_")} | LOAD_LIMITS
    log = (data / "demo.log").open("w")
    proc = subprocess.Popen(
        [
            str(BIN),
            "demo",
            "--port",
            str(api_port),
            "--sse-port",
            str(sse_port),
            "--fresh",
            "--data-dir",
            str(data / "demo"),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    found = Demo(f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{sse_port}")
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"demo exited early:\n{(data / 'demo.log').read_text()}")
            try:
                if all(httpx.get(f"{u}/health/ready").status_code == 200 for u in (found.api, found.sse)):
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"demo not ready in 90 s:\n{(data / 'demo.log').read_text()}")
            time.sleep(0.2)
        yield found
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        raise RuntimeError(
            f"Chromium is not at {CHROMIUM}: install it with `apt-get install chromium` (.ci/run does)."
        )
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
    yield launched
    launched.close()


class Visitor:
    """One person's browser: its own cookies, and every console error its pages logged."""

    def __init__(self, browser: Browser, base: str, **options: Any) -> None:
        self.context: BrowserContext = browser.new_context(base_url=base, locale="ko-KR", **options)
        self.context.set_default_timeout(10_000)
        self.errors: list[str] = []
        self.page: Page = self.new_page()

    def new_page(self) -> Page:
        page = self.context.new_page()

        def record(message: ConsoleMessage) -> None:
            # A refusal the page shows (a 409 to a bid) is also logged by Chromium as a failed load.
            if message.type == "error" and not _REFUSAL.match(message.text):
                self.errors.append(f"{page.url}: {message.text}")

        page.on("console", record)
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}"))
        return page

    def sign_in(self, email: str, password: str) -> None:
        self.page.goto("/signin")
        self.page.fill("input[name=email]", email)
        self.page.fill("input[name=password]", password)
        self.page.click("form button[type=submit]")
        self.page.wait_for_selector("[data-testid=signout]")

    def shot(self, name: str, *, full_page: bool = True) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)

    def close(self) -> None:
        self.context.close()


Visitors = Callable[..., Visitor]


@pytest.fixture
def visitors(browser: Browser, demo: Demo) -> Iterator[Visitors]:
    """Make visitors; at the end, none of their pages may have logged an error (a CSP violation,
    a failed script, a stream that would not connect)."""
    made: list[Visitor] = []

    def make(**options: Any) -> Visitor:
        visitor = Visitor(browser, demo.api, **options)
        made.append(visitor)
        return visitor

    yield make
    errors = [e for v in made for e in v.errors]
    for visitor in made:
        visitor.close()
    assert errors == []
