"""The web console in a real browser: Playwright drives Debian's chromium (its path passed, never a
browser download) against ``build_app`` served by uvicorn on 127.0.0.1, over the twin.

Skipped, with the reason, only where /usr/bin/chromium is missing; ``scripts/test.sh`` installs
it (scripts/mermaid-deps.sh), so CI runs these.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import expect, sync_playwright

from tests.integration.web_harness import APPROVER, ROOT, TOKEN, Web, web_on_twin

CHROMIUM = Path("/usr/bin/chromium")
MERMAID_JS = ROOT / ".tools/mermaid/node_modules/mermaid/dist/mermaid.min.js"  # scripts/mermaid-deps.sh
PACED = 4.0  # twin speed for the abort test: a ~60 s chaos lasts ~15 s, time enough to click abort
WAIT_MS = 60_000  # the page's own waits (an approved run on the fast twin ends in seconds)

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no chromium at {CHROMIUM}: "
                                "scripts/mermaid-deps.sh installs Debian's (apt-get install chromium)")


@pytest.fixture
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Web, str]]:
    """The console on uvicorn at 127.0.0.1:<free port>; the socket is bound before the server
    thread starts, so the browser's first request waits in its backlog instead of failing.
    An indirect parameter sets the twin's speed for the runs the console executes."""
    with web_on_twin(tmp_path, speed=getattr(request, "param", 1_000_000), mermaid_js=str(MERMAID_JS)) as web:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        server = uvicorn.Server(uvicorn.Config(web.app(), log_level="warning", lifespan="on"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        try:
            yield web, f"http://127.0.0.1:{sock.getsockname()[1]}"
        finally:
            server.should_exit = True
            thread.join(30)
            sock.close()


@pytest.fixture
def page():  # type: ignore[no-untyped-def]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            tab = browser.new_page()
            tab.set_default_timeout(WAIT_MS)
            yield tab
        finally:
            browser.close()


def sign_in(page, base: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    page.fill("input[name=name]", APPROVER)
    page.fill("input[name=token]", TOKEN)
    page.click("button[type=submit]")
    page.wait_for_selector("#user")


def test_runs_are_listed_and_an_approval_is_refused_without_sign_in(served, page) -> None:  # type: ignore[no-untyped-def]
    web, base = served
    web.start("brw00001")
    page.goto(f"{base}/runs")
    assert page.locator("#runs a", has_text="brw00001").count() == 1
    assert page.locator("#runs tr", has_text="brw00001").locator("td").nth(1).inner_text() == "waiting"
    page.goto(f"{base}/approvals")
    assert page.locator("#need-login").is_visible()
    page.click("#run-brw00001 button[value=approve]")
    assert "sign in first" in page.locator("#error").inner_text()
    assert web.view("brw00001").waiting is not None and web.audit("brw00001", "decision") == []


def test_approve_a_paused_run_watch_it_execute_and_read_its_report(served, page) -> None:  # type: ignore[no-untyped-def]
    web, base = served
    web.start("brw00002")
    sign_in(page, base)
    page.goto(f"{base}/runs/brw00002")
    assert page.locator("#phase").inner_text() == "waiting for approval"
    page.click("text=answer it")
    page.locator("#run-brw00002 input[name=choice]").first.check()
    page.fill("#run-brw00002 input[name=note]", "from the browser")
    page.click("#run-brw00002 button[value=approve]")
    assert "accepted" in page.locator("#flash").inner_text()
    expect(page.locator("#outcome")).to_have_text("completed", timeout=WAIT_MS)  # over server-sent events (no eval: CSP)
    assert int(page.locator("#updates").inner_text()) >= 1
    expect(page.locator("#engine")).to_contain_text("sock-shop/ca-brw00002")
    assert page.locator("#signals tbody tr").count() >= 5 and page.locator("#signals svg.spark polyline").count() >= 5
    page.click("#report a")
    page.wait_for_selector("#report-body h1")
    if MERMAID_JS.is_file():  # drawn in the browser by the local mermaid.min.js
        page.wait_for_selector("pre.mermaid svg")
        assert page.locator("pre.mermaid svg").count() == page.locator("pre.mermaid").count() >= 2
    else:
        assert "flowchart" in page.locator("pre.mermaid").first.inner_text()
    [decision] = web.audit("brw00002", "decision")
    assert (decision.who, decision.channel) == (APPROVER, "web") and "from the browser" in decision.what


@pytest.mark.parametrize("served", [PACED], indirect=True)
def test_abort_from_the_browser_stops_the_chaos_and_the_run_page_shows_the_verdict(served, page) -> None:  # type: ignore[no-untyped-def]
    web, base = served
    web.start("brw00003")
    sign_in(page, base)
    page.goto(f"{base}/approvals")
    page.locator("#run-brw00003 input[name=choice]").first.check()
    page.click("#run-brw00003 button[value=approve]")
    assert "accepted" in page.locator("#flash").inner_text()
    # Shown once the live stream names the engine: the baseline is measured and the chaos is on.
    expect(page.locator("#abort-form")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#phase")).to_have_text("running", timeout=WAIT_MS)
    page.once("dialog", lambda dialog: dialog.accept())  # the page asks "Stop this run's chaos now?"
    page.click("#abort")
    assert "abort:" in page.locator("#flash").inner_text()
    expect(page.locator("#outcome")).to_have_text("aborted", timeout=WAIT_MS)
    assert web.actions.wait(120)
    page.reload()
    expect(page.locator("#verdict")).to_contain_text("stopped", timeout=WAIT_MS)  # a person stopped it: inconclusive, exit 5
    assert "exit code 5" in page.locator("#verdict").inner_text()
    [asked] = web.audit("brw00003", "abort_requested")
    assert (asked.who, asked.channel) == (APPROVER, "web")
    assert web.view("brw00003").state["outcome"] == "aborted"
