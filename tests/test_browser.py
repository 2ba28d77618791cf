"""The comparison page and a tearsheet in a real browser: headless Chromium, driven over the DevTools pipe.

Chromium (Debian's ``chromium`` package; ``.ci/run`` installs it) is started with
``--remote-debugging-pipe``: DevTools messages, NUL-separated JSON, go through file descriptors 3 and 4,
so no port is opened and no Python package is needed. The Network domain reports every request a page
makes; a page passes only if each one is a ``file:`` or ``data:`` URL. Host resolution is also mapped
to nowhere, so a remote request can never succeed even if one slipped through.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jpmacro_bt.reports.compare import compare
from jpmacro_bt.reports.compare_page import write_comparison
from jpmacro_bt.reports.tearsheet import write_tearsheet
from jpmacro_bt.reports.runs import load_run

RUNS = Path(__file__).parent / "data" / "runs"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--remote-debugging-pipe",
)


def chromium_path(fallback: Path = Path("/usr/bin/chromium")) -> str:
    """Chromium's executable; without it the browser tests fail (never skip), saying how to install it."""
    path = shutil.which("chromium") or (str(fallback) if fallback.exists() else None)
    if path is None:
        pytest.fail("chromium is not installed: apt-get install chromium (.ci/run does this)")
    return path


def test_chromium_is_installed():
    assert Path(chromium_path()).exists()


def test_a_missing_chromium_fails_with_the_install_command(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(pytest.fail.Exception, match=r"chromium is not installed: apt-get install chromium"):
        chromium_path(tmp_path / "chromium")


class Browser:
    """Just enough of the DevTools protocol: send a command, wait for its answer, keep the events."""

    def __init__(self, profile: Path) -> None:
        to_browser_r, self._w = os.pipe()
        self._r, from_browser_w = os.pipe()
        # Chromium reads fd 3 and writes fd 4. bash moves the pipe ends there before exec (no preexec_fn, which
        # is unsafe with threads; dash takes one-digit fds only). Lifting them above 9 first keeps one
        # redirection from overwriting the other.
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_browser_r, from_browser_w)]
        for fd in (to_browser_r, from_browser_w):
            os.close(fd)
        argv = [chromium_path(), *FLAGS, f"--user-data-dir={profile}", "about:blank"]
        self.proc = subprocess.Popen(
            ["/bin/bash", "-c", f'exec "$0" "$@" 3<&{high[0]} 4>&{high[1]} {high[0]}<&- {high[1]}>&-', *argv],
            pass_fds=high,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for fd in high:
            os.close(fd)
        self._buf = b""
        self._id = 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 30) -> dict:
        self._id += 1
        message = {"id": self._id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._w, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            for reply in self._read(deadline):
                if reply.get("id") == self._id:
                    if "error" in reply:
                        raise RuntimeError(f"{method}: {reply['error']}")
                    return reply["result"]
                self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if event.get("method") == method:
                    self.events.remove(event)
                    return event
            self.events += self._read(deadline)

    def _read(self, deadline: float) -> list[dict]:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("chromium did not answer in time")
            if select.select([self._r], [], [], left)[0]:
                chunk = os.read(self._r, 1 << 16)
                if not chunk:
                    raise EOFError(f"chromium exited with {self.proc.poll()}")
                self._buf += chunk
        *messages, self._buf = self._buf.split(b"\0")
        return [json.loads(m) for m in messages]

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=10)
        except (OSError, EOFError, TimeoutError, RuntimeError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._w)
        os.close(self._r)


class Page:
    """A tab that has loaded ``url``, with every request it made and every uncaught script error."""

    def __init__(self, browser: Browser, url: str) -> None:
        self.browser = browser
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Network", "Page", "Runtime"):
            browser.send(f"{domain}.enable", session=self.session)
        browser.events.clear()
        browser.send("Page.navigate", {"url": url}, session=self.session)
        browser.wait_for("Page.loadEventFired")
        self.js("new Promise(r => requestAnimationFrame(() => setTimeout(r, 50)))", wait=True)  # let late requests show

    def js(self, expression: str, wait: bool = False):
        reply = self.browser.send(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": wait}, session=self.session
        )
        if "exceptionDetails" in reply:
            raise AssertionError(f"{expression}: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    @property
    def requests(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.browser.events if e.get("method") == "Network.requestWillBeSent"]

    @property
    def errors(self) -> list[dict]:
        return [e["params"] for e in self.browser.events if e.get("method") == "Runtime.exceptionThrown"]

    def assert_offline(self) -> None:
        remote = [u for u in self.requests if not u.startswith(("file:", "data:"))]
        assert not remote, f"the page made network requests: {remote}"


# Charts that drew: each <svg> in the selector is laid out with a size and holds drawn paths.
SVG_SIZES = """Array.from(document.querySelectorAll(%r)).map(s => {
    const r = s.getBoundingClientRect();
    return [Math.round(r.width), Math.round(r.height), s.querySelectorAll('path, use, rect, polyline').length];
})"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    b = Browser(tmp_path_factory.mktemp("chromium-profile"))
    yield b
    b.close()


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    root = tmp_path_factory.mktemp("pages")
    for name in ("alpha", "beta"):
        shutil.copytree(RUNS / name, root / name)
    index = pd.bdate_range("2024-01-01", periods=130, name="date")
    rng = np.random.default_rng(7)
    write_tearsheet(
        root / "alpha" / "tearsheet.html",
        pd.Series(rng.normal(0.0005, 0.01, len(index)), index=index),
        pd.Series(rng.normal(0.0, 0.008, len(index)), index=index),
        title="alpha: a test tearsheet",
        strategy_title="alpha",
        benchmark_title="cash",
        parameters={"hold_days": 2},
    )
    comparison = compare([load_run(root / "alpha"), load_run(root / "beta")])
    page = write_comparison(comparison, root / "compare", title="alpha vs beta")
    return page, root / "alpha" / "tearsheet.html"


def test_the_comparison_page_draws_offline_and_its_controls_work(browser, pages):
    index, _ = pages
    page = Page(browser, index.as_uri())
    page.assert_offline()
    assert page.errors == []
    assert page.js("document.body.dataset.ready") == "1"  # the inline script ran to its end
    assert page.js("document.querySelectorAll('#metrics tbody tr').length") == 2
    assert page.js("Array.from(document.querySelectorAll('#metrics tbody th')).map(t => t.dataset.v)") == ["beta", "alpha"]
    for selector in ("#equity-linear svg", "#drawdown svg"):
        sizes = page.js(SVG_SIZES % selector)
        assert len(sizes) == 1 and sizes[0][0] > 600 and sizes[0][1] > 100 and sizes[0][2] > 10, (selector, sizes)
    assert page.js(SVG_SIZES % "#equity-log svg")[0][:2] == [0, 0]  # hidden until asked for
    page.js("document.getElementById('log-scale').click()")
    assert page.js(SVG_SIZES % "#equity-log svg")[0][0] > 600 and page.js(SVG_SIZES % "#equity-linear svg")[0][:2] == [0, 0]
    # Sorting by total return puts alpha (+7.7 %) above beta (+4.0 %); a second click reverses.
    page.js("document.querySelector('th[data-key=total_return]').click()")
    assert page.js("Array.from(document.querySelectorAll('#metrics tbody th')).map(t => t.dataset.v)") == ["alpha", "beta"]
    page.js("document.querySelector('th[data-key=total_return]').click()")
    assert page.js("Array.from(document.querySelectorAll('#metrics tbody th')).map(t => t.dataset.v)") == ["beta", "alpha"]
    assert page.js("document.querySelectorAll('table.monthly').length") == 2
    assert page.js("document.querySelectorAll('#correlation tbody tr').length") == 2
    # The tearsheet link resolves to the run's own file.
    assert page.js("document.querySelector('#metrics a[href$=\"alpha/tearsheet.html\"]').href").startswith("file://")


def test_a_tearsheet_draws_offline(browser, pages):
    _, tearsheet = pages
    page = Page(browser, tearsheet.as_uri())
    page.assert_offline()
    sizes = page.js(SVG_SIZES % "svg")
    assert len(sizes) >= 10, sizes
    assert all(w > 50 and h > 50 and n > 5 for w, h, n in sizes), sizes


def test_a_page_that_loads_a_remote_script_is_caught(browser, tmp_path):
    """The check above is real: a remote <script> shows up as a request and fails it."""
    page_file = tmp_path / "remote.html"
    page_file.write_text('<!DOCTYPE html><html><head><script src="https://cdn.example.com/plot.js"></script></head><body></body></html>')
    page = Page(browser, page_file.as_uri())
    with pytest.raises(AssertionError, match=r"network requests: \['https://cdn\.example\.com/plot\.js'\]"):
        page.assert_offline()


def test_the_tearsheet_shows_the_trades_and_events(browser, tmp_path):
    """A run's tearsheet ends with the traded price, its entries and exits, the calendar's hikes and the trade table."""
    from datetime import date

    from jpmacro_bt.catalog import find
    from jpmacro_bt.engine.run import RunSettings, run_strategy
    from jpmacro_bt.reports.runfolder import write_run

    from .conftest import make_market

    spec = find("boj_hike_long_jpy")
    # USDJPY from 2023 through 2025 holds four BoJ hikes (2024-03-19, 2024-07-31, 2025-01-24, 2025-12-19).
    market = make_market(["USDJPY"], start="2023-01-02", end="2025-12-31")
    result = run_strategy(spec, spec.build({"hold_days": "5"}), RunSettings(start=date(2023, 1, 2)), data=market)
    folder = write_run(result, tmp_path, argv=["jpmacro-bt", "run", "boj_hike_long_jpy"])
    page = Page(browser, (folder / "tearsheet.html").as_uri())
    page.assert_offline()
    assert page.errors == []
    sizes = page.js(SVG_SIZES % "#jpmacro-trades svg")
    assert len(sizes) == 1 and sizes[0][0] > 600 and sizes[0][1] > 200 and sizes[0][2] > 10, sizes
    rows = page.js("Array.from(document.querySelectorAll('#jpmacro-trades tbody tr')).map(r => r.cells[2].textContent)")
    assert rows == ["2024-03-19", "2024-07-31", "2025-01-24", "2025-12-19"] == list(result.trades["entry_date"])
    # The legend names the hikes drawn on the price and the trade markers.
    legend = page.js("Array.from(document.querySelectorAll('#jpmacro-trades svg text')).map(t => t.textContent).join(' ')")
    assert "boj hike" in legend and "short entry" in legend and "short exit" in legend, legend
    assert "fomc" not in legend  # carry reads the FOMC calendar, but the strategy trades the BoJ's
