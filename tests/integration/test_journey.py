"""The user-journey probe on the twin: the agent requests front-end's pages through the API
server's service proxy while a run goes on, on the twin's virtual clock (no sleeps)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from agent.adapters.journey_http import fetch
from agent.engines.litmus import render
from agent.models.journey import JourneyLog
from agent.ports import Deps
from agent.report.journey import summarise
from agent.run.journey import JourneyProbe
from agent.wiring import ClusterBinding, twin_state_path
from tests.factories import catalogue_delete
from tests.integration.test_agent_on_twin import run_to_end
from twin.state import State

PROXY = "/api/v1/namespaces/sock-shop/services/front-end:80/proxy"


def twin_outage_s(deps: Deps, engine: str, service: str) -> float:
    """The twin's own outage of ``service`` after the pod delete: from the deletion to the new pod
    Ready and serving (read from the twin's state file, as its operator recorded it)."""
    state = State.model_validate_json(twin_state_path(deps.settings, ClusterBinding(twin=True)).read_text())
    [run] = [r for r in state.runs if r.engine == engine]
    [(t, new)] = [(e.t, m.group(1)) for e in run.events
                  if (m := re.match(rf"pod {service}-\S+ deleted; replaced by (\S+)", e.message))]
    runtime = state.pods[f"sock-shop/{new}"]
    return max(runtime.ready_at, runtime.process_ready_at) - t


def test_failover_of_a_carts_db_pod_delete_is_within_one_probe_interval_of_the_twins_outage(deps: Deps) -> None:
    assert isinstance(deps.journey, JourneyProbe)  # on by default with --twin
    view = run_to_end(deps, "jrny0001")
    state = view.state
    assert state["outcome"] == "completed" and "carts-db" in state["tldr"]
    log = deps.store.load("jrny0001", "journey", JourneyLog)
    assert log.paths == ["/", "/catalogue", "/cart"] and log.interval_s == 0.5
    applied = next(e["at"] for e in state["events"] if e["kind"] == "applied")
    from datetime import datetime

    summary = summarise(log, datetime.fromisoformat(applied))
    cart = next(p for p in summary.paths if p.path == "/cart")
    outage_ms = twin_outage_s(deps, "ca-jrny0001", "carts-db") * 1000
    assert cart.failover_ms is not None and outage_ms > 1000
    assert abs(cart.failover_ms - outage_ms) <= summary.interval_ms, (cart.failover_ms, outage_ms)
    home = next(p for p in summary.paths if p.path == "/")
    # index.html is static: carts-db down never fails it (front-end's own 0.2 % errors may, once or twice)
    assert home.failed <= 2 and (home.failover_ms or 0) <= summary.interval_ms
    # Rounds at 2 Hz of the run's (virtual) clock, from the baseline through the recovery watch.
    ats = sorted({h.at for h in log.hits})
    assert all((b - a).total_seconds() <= 0.5 + 1e-6 for a, b in zip(ats, ats[1:], strict=False))
    assert ats[0] < datetime.fromisoformat(applied) < ats[-1]
    assert f"carts-db failover took {cart.failover_ms:.0f} ms ± 500 ms, caused {cart.failed_pct}% failed requests on /cart" \
        in state["tldr"]
    report = Path(state["report_path"]).read_text()
    assert f"- User journey (the agent requested /, /catalogue, /cart at {log.url}, every 500 ms" in report
    assert not deps.journey.active  # narrate stopped it
    deps.clock.sleep(10)
    assert deps.store.load("jrny0001", "journey", JourneyLog).hits == log.hits  # nothing sent after the run


def test_front_end_pages_follow_the_twins_faults(deps: Deps) -> None:
    base = str(deps.cluster.server) + PROXY  # type: ignore[attr-defined]

    def statuses(path: str) -> list[int | None]:
        """Five requests 0.1 s apart (a healthy page may fail with front-end's own 0.2 %)."""
        out = []
        for _ in range(5):
            out.append(fetch(base + path, 5)[0])
            deps.clock.sleep(0.1)
        return out

    assert [statuses(p).count(200) >= 4 for p in ("/", "/catalogue", "/cart")] == [True] * 3
    assert fetch(base + "/nope", 5) == (404, None)  # not a page of front-end's
    manifest = render(catalogue_delete(duration_s=60), run_id="jrny0002", service_account="litmus-admin",
                      cleanup="retain")
    deps.cluster.apply_engine(manifest, dry_run=False)
    deps.clock.sleep(20)  # catalogue deleted; its readiness delay is 180 s
    assert statuses("/catalogue") == [500] * 5
    assert statuses("/").count(200) >= 4 and statuses("/cart").count(200) >= 4
    deps.clock.sleep(300)
    assert statuses("/catalogue").count(200) >= 4


def test_a_probe_that_is_off_sends_nothing(deps: Deps) -> None:
    from agent.wire.journey import with_journey

    off = deps.settings.model_copy(update={"journey": deps.settings.journey.model_copy(update={"enabled": False})})
    plain = replace(deps, settings=off, journey=None)
    assert with_journey(plain, twin_url=str(deps.cluster.server)).journey is None  # type: ignore[attr-defined]
