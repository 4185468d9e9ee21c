"""An abort condition that watches a service off the predicted path (target → its synchronous
callers → users) is warned about, with the reason, wherever a person decides: the terminal list,
the chat's confirmation and Slack's message and confirm dialog."""

from __future__ import annotations

import json

from rich.console import Console

from agent.adapters.slack_blocks import approval_blocks
from agent.design.path import off_path_warning, predicted_path
from agent.design.view import print_candidates
from agent.models import AbortCondition, AbortThreshold, Candidate
from tests.factories import inventory, shop, spec, target


def test_the_path_runs_from_the_target_through_its_callers_to_the_users() -> None:
    inv = inventory(target("web", tier="edge"), target("api"), target("db"), target("ads"),
                    deps=[("web", "api"), ("api", "db"), ("web", "ads")], async_deps=[("ads", "db")])
    db = spec(target_selector=spec().target_selector.model_copy(update={"service": "db", "labels": {"name": "db"}}))
    assert predicted_path(db, inv) == ["db", "api", "web"]  # an asynchronous caller is not on it
    assert predicted_path(spec(), inv) == ["api", "web"]
    # The services users call come last, even when one also calls the target directly.
    shop2 = inventory(target("web", tier="edge"), target("api"), target("orders"), target("db"),
                      deps=[("web", "db"), ("web", "api"), ("api", "db"), ("web", "orders"), ("orders", "api")])
    assert predicted_path(db, shop2) == ["db", "api", "orders", "web"]


def test_a_threshold_on_the_path_or_on_any_service_gets_no_warning() -> None:
    assert off_path_warning(spec(), shop()) is None  # api's failure shows at web, which it watches
    on_target = spec(abort_threshold=AbortThreshold(service="api", error_rate_pct=5))
    assert off_path_warning(on_target, shop()) is None
    anywhere = spec(abort_threshold=AbortThreshold(service="*", error_rate_pct=5))
    assert off_path_warning(anywhere, shop()) is None
    assert off_path_warning(spec(abort_threshold=AbortThreshold(service="slow", error_rate_pct=5)), None) is None


def test_a_threshold_off_the_path_is_warned_about_with_the_reason() -> None:
    off = spec(abort_threshold=AbortThreshold(
        service="web", error_rate_pct=5, conditions=[AbortCondition(signal="latency_p95_ms", value=900, service="slow")]))
    warning = off_path_warning(off, shop())
    assert warning == (
        "the abort condition watches slow, off the predicted path api → web → users: a failure of api may never "
        "show at slow, so the run might not stop itself; watch a service on that path (or '*'), unless slow is "
        "watched on purpose")


def test_the_terminal_list_shows_the_warning_under_the_abort_condition() -> None:
    console = Console(width=400, record=True)
    off = spec(abort_threshold=AbortThreshold(service="slow", error_rate_pct=5))
    print_candidates(console, [Candidate(rank=1, score=1.0, spec=off), Candidate(rank=2, score=1.0, spec=spec())], [],
                     inventory=shop())
    lines = console.export_text().splitlines()
    stops = [i for i, line in enumerate(lines) if "Stops itself:" in line]
    assert lines[stops[0]].strip() == "Stops itself: abort when slow error rate > 5%"
    assert lines[stops[0] + 1].strip().startswith("warning: the abort condition watches slow, off the predicted path")
    assert sum("warning:" in line for line in lines) == 1  # the second candidate watches web: on its path


def test_slack_shows_the_abort_condition_and_the_warning_in_the_message_and_the_dialog() -> None:
    off = spec(abort_threshold=AbortThreshold(service="slow", error_rate_pct=5))
    blocks = approval_blocks("r1", [Candidate(rank=1, score=1.0, spec=off), Candidate(rank=2, score=1.0, spec=spec())],
                             [], inventory=shop())
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]  # type: ignore[typeddict-item]
    assert "Stops itself: abort when slow error rate &gt; 5%\n⚠️ warning: the abort condition watches slow" in sections[0]
    assert "Stops itself: abort when web error rate &gt; 50%\nRisk:" in sections[1]
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]  # type: ignore[typeddict-item]
    first, second = (json.loads(json.dumps(b["confirm"]["text"]["text"])) for b in buttons[:2])
    assert first.endswith("Runs 30 s; abort when slow error rate &gt; 5%. ⚠ Its abort condition may never fire.")
    assert second.endswith("Runs 30 s; abort when web error rate &gt; 50%.") and len(first) <= 300
