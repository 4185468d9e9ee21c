"""litmus-go's resilience probes, evaluated by the twin at virtual time.

What litmus-go 3.18.0 does (``pkg/probe``, ``pkg/result/chaosresult.go``), and the twin with it:

- when: ``SOT`` before chaos, ``EOT`` after it, ``Edge`` both (its verdict is Passed only if both
  pass), ``Continuous`` every ``interval`` from the start of the run until chaos ends and
  ``OnChaos`` the same within the chaos window; a Continuous/OnChaos probe stops at its first
  failure. The twin evaluates at most once per virtual second (a 100 ms interval is read as 1 s).
- what: ``httpProbe`` GETs its URL: the twin answers for its entry service's pages as a user
  would meet them (``twin.model.page``: no Ready pod refuses the connection, a failing backend
  gives 500 with the model's probability, a page slower than ``probeTimeout`` times out);
  ``promProbe`` sends its query to ``endpoint`` (a real Prometheus, e.g. one scraping the twin) and
  compares the first sample with ``comparator``; no answer fails the probe, as it does upstream.
  ``k8sProbe``/``cmdProbe``/``sloProbe`` are not evaluated: they end ``N/A``, "Either probe is
  not executed or not evaluated", as probes litmus-go never finished.
- attempts: a probe is tried ``attempt`` times (else ``retry``, else once), ``interval`` apart, and
  fails only when every try does (``getAttempts``, ``retry.Times``).
- the result: descriptions are litmus-go's comparator wording ("Actual value: 500. Expected
  value: should be equal to 200"); a passed probe has none.
"""

from __future__ import annotations

import hashlib
import json
import math
import operator
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from twin.model import page
from twin.state import FaultRun, KObj, State, Step

Probe = Mapping[str, Any]
NOT_EVALUATED = "Either probe is not executed or not evaluated"
EVALUATED = ("httpProbe", "promProbe")
_ORDER = {"runner": -2, "launch": -1, "pre": 0, "inject": 1, "kill": 1, "during": 1, "check": 2, "revert": 2, "post": 3, "complete": 4}
_FLOAT: dict[str, tuple[Callable[[float, float], bool], str]] = {
    ">=": (operator.ge, "greater than or equal to"), "<=": (operator.le, "lesser than or equal to"),
    ">": (operator.gt, "greater than"), "<": (operator.lt, "lesser than"), "==": (operator.eq, "equal to"),
}


def declared(engine: KObj | None) -> list[Probe]:
    """The probes of the engine's (first) experiment."""
    experiments = ((engine or {}).get("spec") or {}).get("experiments") or [{}]
    spec = experiments[0].get("spec") if isinstance(experiments[0], dict) else None
    return [p for p in (spec or {}).get("probe") or [] if isinstance(p, dict)]


def _seconds(value: object, default: float) -> float:
    """A runProperties duration: 3.x "2s" / "100ms", 2.x integer seconds."""
    text = str(value if value not in (None, "") else default).strip()
    try:
        if text.endswith("ms"):
            return float(text[:-2]) / 1000
        if text.endswith("s"):
            return float(text[:-1])
        return float(text)
    except ValueError:
        return default


def _key(step: Step) -> tuple[float, int]:
    phase = step.note.split(":", 1)[0] if step.action == "probe" else step.action
    return step.t, _ORDER.get(phase, 1)


def schedule(run: FaultRun, engine: KObj | None, *, since: float | None = None) -> None:
    """Add the probe steps to the run's steps, in time order. ``since``: the steps were replaced
    mid-run (node-drain's duration starts after its status check): only what is left from then."""
    steps = [s for s in run.steps if s.action != "probe"]
    for probe in declared(engine):
        name, mode = str(probe.get("name", "")), str(probe.get("mode", ""))
        if since is None and mode in ("SOT", "Edge"):
            steps.append(Step(t=run.started_at, action="probe", note=f"pre:{name}"))
        if mode in ("EOT", "Edge"):
            steps.append(Step(t=run.end_at, action="probe", note=f"post:{name}"))
        if mode in ("Continuous", "OnChaos") and run.probes.get(name, ("",))[0] != "Failed":
            interval = max(1.0, _seconds((probe.get("runProperties") or {}).get("interval"), 1.0))
            t = max(run.started_at if mode == "Continuous" else run.inject_at, since or -math.inf)
            while t < run.end_at:
                steps.append(Step(t=t, action="probe", note=f"during:{name}"))
                t += interval
    run.steps = sorted(steps, key=_key)


def evaluate(state: State, run: FaultRun, engine: KObj | None, step: Step) -> None:
    """Run one probe step and record its verdict (Continuous: its first failure ends it)."""
    phase, name = step.note.split(":", 1)
    probe = next((p for p in declared(engine) if p.get("name") == name), None)
    if probe is None or probe.get("type") not in EVALUATED or run.probes.get(name, ("", ""))[0] == "Failed":
        return
    failure = _check(state, run, probe, step.t)
    if failure is not None:
        run.probes[name] = ("Failed", failure)
        run.steps = [s for s in run.steps if not (s.action == "probe" and s.note == f"during:{name}")]
        run.log(step.t, f"probe {name} failed: {failure}")
    elif phase == "post" or (phase == "pre" and probe.get("mode") == "SOT"):
        run.probes[name] = ("Passed", "")


def finish(run: FaultRun, engine: KObj | None, *, ended: bool) -> None:
    """At the end of the run: Continuous/OnChaos probes that never failed have passed (when the
    run reached its end; an abort leaves them unfinished)."""
    for probe in declared(engine):
        name = str(probe.get("name", ""))
        if (ended and name not in run.probes and probe.get("mode") in ("Continuous", "OnChaos")
                and probe.get("type") in EVALUATED):
            run.probes[name] = ("Passed", "")


def attempts(run_properties: Mapping[str, Any]) -> int:
    """How often a probe is tried before it fails: litmus-go pkg/probe/probe.go ``getAttempts``
    (``attempt``, else the older ``retry``, else 1)."""
    def count(key: str) -> int:
        try:
            return max(0, int(run_properties.get(key) or 0))
        except (TypeError, ValueError):
            return 0

    return count("attempt") or count("retry") or 1


def _check(state: State, run: FaultRun, probe: Probe, t: float) -> str | None:
    """None when one of the probe's attempts passes (``interval`` apart, as litmus-go's
    ``retry.Times(...).Wait(interval)``), else the last attempt's failure."""
    kind, props = probe.get("type"), probe.get("runProperties") or {}
    timeout, interval = _seconds(props.get("probeTimeout"), 5.0), _seconds(props.get("interval"), 1.0)
    failure = None
    for k in range(attempts(props)):
        at = t + k * interval
        if kind == "httpProbe":
            failure = _http(state, run, probe.get("httpProbe/inputs") or {}, at, timeout)
        elif kind == "promProbe":
            failure = _prom(probe.get("promProbe/inputs") or {}, timeout)
        if failure is None:
            return None
    return failure


def _draw(seed: int, url: str, t: float) -> float:
    digest = hashlib.blake2b(f"{seed}|probe|{url}|{math.floor(t * 1000)}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _http(state: State, run: FaultRun, inputs: Mapping[str, Any], t: float, timeout: float) -> str | None:
    url = str(inputs.get("url", ""))
    method = inputs.get("method") or {}
    expect = method.get("get") or method.get("post") or {}
    parsed = urllib.parse.urlsplit(url)
    labels = (parsed.hostname or "").split(".")
    service, namespace = labels[0], labels[1] if len(labels) > 1 else run.namespace
    paths = state.topology.paths
    found = page(state, namespace, t, service, paths.get(parsed.path or "/", [])) if service else None
    if found is None:
        return f'Get "{url}": dial tcp: lookup {parsed.hostname}: no such host'
    if found.endpoints == 0:
        return f'Get "{url}": dial tcp {parsed.hostname}:{parsed.port or 80}: connect: connection refused'
    if found.latency_ms > timeout * 1000:
        return f'Get "{url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
    code = 500 if _draw(state.seed, url, t) < found.failing else 200
    want, criteria = str(expect.get("responseCode", "200")), str(expect.get("criteria", "=="))
    if criteria == "==" and str(code) != want:
        return f"Actual value: {code}. Expected value: should be equal to {want}"
    if criteria == "!=" and str(code) == want:
        return f"Actual value: {code}. Expected value: should not be equal to {want}"
    return None


def _prom(inputs: Mapping[str, Any], timeout: float) -> str | None:
    endpoint, query = str(inputs.get("endpoint", "")).rstrip("/"), str(inputs.get("query", ""))
    comparator = inputs.get("comparator") or {}
    url = f"{endpoint}/api/v1/query?" + urllib.parse.urlencode({"query": query})
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 - the probe's own endpoint
            data = json.loads(answer.read())
        value = float(data["data"]["result"][0]["value"][1])
    except (urllib.error.URLError, OSError, ValueError, KeyError, IndexError, TypeError) as e:
        return f"unable to get the prometheus query result from {endpoint}: {e}"
    criteria, expected = str(comparator.get("criteria", "")), str(comparator.get("value", ""))
    try:
        limit = float(expected)
    except ValueError:
        return f"The expected value {expected} is not a number"
    if criteria == "!=":
        return None if value != limit else (
            f"Actual value: {value:g}. Expectation: should not match the provided value: {limit:g}")
    if criteria not in _FLOAT:
        return f"criteria '{criteria}' not supported in the probe"
    holds, words = _FLOAT[criteria]
    return None if holds(value, limit) else f"Actual value: {value:g}. Expected value: {words} {limit:g}"
