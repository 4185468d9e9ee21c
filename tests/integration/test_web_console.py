"""The web console over the twin through Starlette's TestClient: no anonymous writes, a CSRF token
on every form, approvers from policy.approvers as web:<user>, the approval answered through the
same interrupt as ``resume`` (bound to the request shown) and audited with the web user."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.integration.web_harness import APPROVER, STRANGER, TOKEN, Web, hidden, web_on_twin


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Web]:
    with web_on_twin(tmp_path) as w:
        yield w


def sign_in(client: TestClient, name: str, token: str = TOKEN) -> int:
    csrf = hidden(client.get("/login").text, "csrf")
    return client.post("/login", data={"csrf": csrf, "name": name, "token": token}, follow_redirects=False).status_code


def approve_form(client: TestClient, run_id: str, **fields: str) -> dict[str, str]:
    page = client.get("/approvals").text
    section = page[page.index(f'id="run-{run_id}"'):]
    return {"csrf": hidden(section, "csrf"), "interrupt_id": hidden(section, "interrupt_id"), "verdict": "approve",
            "choice": "1", "note": "from the console", **fields}


def test_anonymous_or_forged_writes_change_nothing(web: Web) -> None:
    web.start("web00001")
    with TestClient(web.app()) as client:
        form = approve_form(client, "web00001")
        anonymous = client.post("/approvals/web00001", data=form)
        assert anonymous.status_code == 403 and "sign in first" in anonymous.text
        assert client.post("/runs/web00001/abort", data={"csrf": form["csrf"]}).status_code == 403
        assert sign_in(client, APPROVER, token="wrong") == 403
        assert 'id="user"' not in client.get("/runs").text  # still nobody
        assert sign_in(client, APPROVER) == 303
        forged = client.post("/approvals/web00001", data={**form, "csrf": "forged"})
        assert forged.status_code == 403 and "CSRF" in forged.text
        missing = {k: v for k, v in approve_form(client, "web00001").items() if k != "csrf"}
        assert client.post("/approvals/web00001", data=missing).status_code == 403
    assert web.view("web00001").waiting is not None
    assert web.audit("web00001", "decision", "decision_refused", "abort_requested") == []


def test_a_signed_in_approver_approves_the_plan_shown_and_the_run_executes(web: Web) -> None:
    web.start("web00002")
    with TestClient(web.app()) as client:
        assert sign_in(client, APPROVER) == 303
        done = client.post("/approvals/web00002", data=approve_form(client, "web00002"), follow_redirects=True)
        assert done.status_code == 200 and "accepted" in done.text
        assert web.actions.wait(120)
        again = client.post("/approvals/web00002", data={  # a second answer: the run no longer waits
            "csrf": hidden(client.get("/runs").text, "csrf"), "interrupt_id": "stale", "verdict": "approve", "choice": "1"})
        assert "is not waiting for approval" in again.text
    state = web.view("web00002").state
    assert state["outcome"] == "completed" and state["report_path"]
    decision, refused = web.audit("web00002", "decision", "decision_refused")  # the second answer is refused, audited too
    assert (decision.who, decision.channel, decision.action) == (APPROVER, "web", "decision")
    assert refused.action == "decision_refused" and "not waiting" in refused.result
    assert decision.what.startswith("approve #1") and "note: from the console" in decision.what
    assert [e.result for e in web.audit("web00002", "engine_apply")] == ["started", "ok"]  # one apply
    assert web.view("web00002").state["decision"]["channel"] == "web"  # type: ignore[index]


def test_someone_not_in_policy_approvers_is_refused_and_audited(web: Web) -> None:
    web.start("web00003")
    with TestClient(web.app()) as client:
        assert sign_in(client, STRANGER) == 303
        refused = client.post("/approvals/web00003", data=approve_form(client, "web00003"), follow_redirects=True)
        assert f"web:{STRANGER}" in refused.text and "policy.approvers" in refused.text
    assert web.view("web00003").waiting is not None
    [entry] = web.audit("web00003", "decision", "decision_refused")
    assert (entry.action, entry.who, entry.channel) == ("decision_refused", STRANGER, "web")
    assert web.audit("web00003", "engine_apply") == []


def test_an_answer_to_a_request_no_longer_pending_changes_nothing(web: Web) -> None:
    web.start("web00004")
    with TestClient(web.app()) as client:
        assert sign_in(client, APPROVER) == 303
        stale = client.post("/approvals/web00004", data=approve_form(client, "web00004", interrupt_id="0" * 32),
                            follow_redirects=True)
        assert "no longer pending" in stale.text
        reject = client.post("/approvals/web00004", data=approve_form(client, "web00004", verdict="reject"),
                             follow_redirects=True)
        assert "accepted" in reject.text
        assert web.actions.wait(60)
    assert web.view("web00004").state["outcome"] == "rejected"
    assert [e.action for e in web.audit("web00004", "decision", "decision_refused")] == ["decision_refused", "decision"]


def test_pages_show_runs_report_history_audit_and_metrics(web: Web) -> None:
    web.start("web00005")
    with TestClient(web.app()) as client:
        assert sign_in(client, APPROVER) == 303
        client.post("/approvals/web00005", data=approve_form(client, "web00005"))
        assert web.actions.wait(120)
        runs = client.get("/runs?state=completed").text
        assert "web00005" in runs and client.get("/runs?state=waiting").text.count('href="/runs/web') == 0
        [row] = web.console.runs()
        assert row.target and "web00005" in client.get(f"/runs?service={row.target.split('/')[1]}").text
        assert "web00005" not in client.get("/runs?service=no-such-service").text
        assert "web00005" in client.get("/runs?since=1h").text
        assert "web00005" not in client.get("/runs?since=2999-01-01").text
        bad = client.get("/runs?since=yesterday")
        assert bad.status_code == 400 and "give 30m, 24h, 7d or an ISO date" in bad.text
        result = web.console.result(row.report_path)
        assert result is not None and not isinstance(result, str)  # narrate wrote it beside the report
        assert f'<b class="verdict-{result.verdict}">{result.verdict}</b> (exit code {result.exit_code})' in \
            client.get("/runs/web00005").text
        report = client.get("/runs/web00005/report")
        assert report.status_code == 200 and '<pre class="mermaid">' in report.text and "<h1>" in report.text
        history = client.get("/history").text
        assert "score = 100 × passed / (passed + aborted)" in history and "100 / 100" in history
        audit = client.get("/audit?run=web00005").text
        assert f"web:{APPROVER}" in audit and "engine_apply" in audit
        metrics = client.get("/metrics").text
        assert 'chaos_advisor_runs{outcome="completed",state="done"} 1.0' in metrics
        assert "chaos_advisor_approval_wait_seconds_count 1.0" in metrics
        live = client.get("/runs/web00005/live").text  # ended: one event with its samples, then the end
        assert '"outcome": "completed"' in live and "event: end" in live and '"samples": [{"tick": 0' in live
        assert client.get("/runs/nope0000").status_code == 404
        inventory = client.get("/inventory").text
        assert "14 services" in inventory and "flowchart LR" in inventory and "<td>carts-db</td>" in inventory


def test_a_trusted_proxy_header_names_the_user_and_is_ignored_otherwise(tmp_path: Path) -> None:
    with web_on_twin(tmp_path, trust_proxy_header=True) as web:
        web.start("web00006")
        with TestClient(web.app()) as client:
            page = client.get("/approvals", headers={"X-Forwarded-User": APPROVER}).text
            assert f'<b id="user">{APPROVER}</b>' in page
            form = approve_form(client, "web00006", verdict="reject")
            assert client.post("/approvals/web00006", data=form).status_code == 403  # no header: anonymous
            done = client.post("/approvals/web00006", data=form, headers={"X-Auth-Request-User": APPROVER},
                               follow_redirects=True)
            assert "accepted" in done.text
            assert web.actions.wait(60)
        [entry] = web.audit("web00006", "decision")
        assert (entry.who, entry.channel) == (APPROVER, "web")
    with web_on_twin(tmp_path) as web, TestClient(web.app()) as client:  # not trusted: the header means nothing
        assert 'id="user"' not in client.get("/runs", headers={"X-Forwarded-User": APPROVER}).text


def test_suggestions_show_reasons_hypotheses_and_abort_conditions_and_save_nothing(web: Web) -> None:
    experiments = web.settings.path(web.settings.paths.experiments)
    before = sorted(experiments.glob("*")) if experiments.is_dir() else []
    with TestClient(web.app()) as client:
        page = client.get("/suggestions?count=2")
        assert page.status_code == 200
        assert 'id="suggestion-1"' in page.text and 'id="suggestion-2"' in page.text and 'id="suggestion-3"' not in page.text
        assert page.text.count("Hypothesis: ") == 2 and page.text.count("Stops itself: ") == 2
        assert page.text.count("Why: ") == 2 and "Hits: " in page.text
        for bad in ("0", "21", "two"):
            refused = client.get(f"/suggestions?count={bad}")
            assert refused.status_code == 400 and "give a number from 1 to 20" in refused.text
    assert (sorted(experiments.glob("*")) if experiments.is_dir() else []) == before  # nothing saved
