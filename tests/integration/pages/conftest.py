"""The public pages in a real headless Chromium (issue 13.1): Debian's ``chromium`` driven by
Playwright for Python, axe-core (from npm) injected into each page. Outside CI a machine
without Chromium or npm skips these tests; in CI (``CI=true``) it fails them, since
``.ci/run`` installs both."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from application.services import IHanoi
from projections.deployment import Deployment
from projections.engine import Projector

CHROMIUM = os.environ.get("IHANOI_CHROMIUM", "/usr/bin/chromium")
AXE_CORE = "4.10.3"
#: Chromium as root in a sandbox with no network: no sandbox, no GPU, nothing phoning home.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
SECRET = "test-secret-of-32-bytes-or-more-pages"


def _missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing: .ci/run installs it")
    pytest.skip(f"{what} is missing (apt-get install -y chromium; npm comes with Node.js)")


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's ``axe.min.js``, installed once per machine from npm into the user's cache."""
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ihanoi-tests"
    target = cache / f"axe-core-{AXE_CORE}"
    script = target / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        npm = shutil.which("npm")
        if npm is None:
            _missing("npm")
        cache.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=cache))  # xdist workers may install at once
        subprocess.run([str(npm), "install", "--no-save", "--no-audit", "--no-fund",
                        "--prefix", str(staging), f"axe-core@{AXE_CORE}"], check=True,
                       capture_output=True, timeout=300)
        try:
            staging.rename(target)
        except OSError:  # another worker got there first
            shutil.rmtree(staging, ignore_errors=True)
    return script.read_text()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        _missing("chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def site(app: IHanoi, projector: Projector, database_url: str, fresh_schema: str
         ) -> Iterator[Callable[[], str]]:
    """Start the API with its pages on a free port over the test's store; call it once the
    test's world is built (it catches the read models up first) and get the base URL."""
    import uvicorn

    from api.app import create_app

    started: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start() -> str:
        projector.catch_up()
        runtime = Deployment(url=database_url, schema=fresh_schema, app=app,
                             projector=projector)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(create_app(runtime, SECRET, follow=False),
                                               host="127.0.0.1", port=port,
                                               log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        started.append((server, thread))
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in started:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass
class Visitor:
    """One browser tab that remembers every console error and failed request it saw."""

    page: Any
    axe: str
    errors: list[str] = field(default_factory=list)

    def open(self, url: str) -> Any:
        """Load ``url``; it must answer 200 with HTML."""
        response = self.page.goto(url)
        assert response is not None and response.status == 200, (url, response and
                                                                 response.status)
        assert response.headers["content-type"].startswith("text/html")
        return self.page

    def accessibility_violations(self) -> list[dict[str, Any]]:
        """axe-core's serious and critical violations on the open page (WCAG 2.1 AA)."""
        self.page.add_script_tag(content=self.axe)
        found: list[dict[str, Any]] = self.page.evaluate(
            """async () => (await axe.run(document, {runOnly: {type: 'tag',
                 values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}}))
               .violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      nodes: v.nodes.map(n => n.target.join(' '))}))""")
        return [v for v in found if v["impact"] in ("serious", "critical")]


@pytest.fixture
def visitor(browser: Any, axe_source: str) -> Iterator[Visitor]:
    """A phone-sized tab (360×740); at the end, no console error may have been logged."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
    page = context.new_page()
    seen = Visitor(page, axe_source)
    page.on("console", lambda m: seen.errors.append(f"{m.text} ({m.location.get('url')})")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.errors.append(str(e)))
    page.on("requestfailed", lambda r: seen.errors.append(f"{r.url}: {r.failure}"))
    yield seen
    context.close()
    assert seen.errors == [], seen.errors
