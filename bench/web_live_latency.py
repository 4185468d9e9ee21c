"""Live-update latency of the web console's run page on the twin (target: p95 ≤ 1 s).

What is measured: for each change of a run's stored state (a new sample tick in the run store,
or a new phase in its checkpoint), the wall time from when a poller reading the store directly
(every ``--poll-ms``) first sees the change, to when the run's server-sent-event stream
(``GET /runs/{id}/live``, read by a plain streaming httpx client) delivers an event carrying it.
The poller sees a write up to one poll (plus its own read) late, so the figures understate the
true write-to-client delay by at most that much; a negative delay means the stream was faster
than the poller.

Set-up: the twin (``twin.TwinServer``) serves on 127.0.0.1 in this process, paced at
``--speed`` virtual seconds per real second; the console runs as ``python -m agent web --twin``
in a subprocess on 127.0.0.1; the run is started here (``graphs.runner.start``, as ``run-graph``
does), then approved through the console's own sign-in and approval form, so it executes in the
console's process, as an approval from the browser would.

Usage: ``.venv/bin/python bench/web_live_latency.py [--speed 2] [--runs 3] [--poll-ms 10]``
"""

from __future__ import annotations

import argparse
import io
import json
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import yaml
from rich.console import Console

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.config import Settings, load_settings  # noqa: E402
from agent.wiring import ClusterBinding, open_checkpointer, open_deps, open_store  # noqa: E402
from graphs import runner  # noqa: E402
from graphs.builder import build  # noqa: E402
from twin import TwinServer  # noqa: E402

TARGET_MS = 1000.0
TOKEN, USER = "bench-token", "bench"


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no {name} field in the page"
    return found.group(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def poll(settings: Settings, run_id: str, stop: threading.Event, every_s: float, seen: list[tuple[float, str, object]],
         reads: list[float]) -> None:
    """Record (wall time, kind, value) when a new tick or phase first appears in the stored state,
    and how long each read took (``reads``, s)."""
    last_tick, last_phase = -1, None
    with open_checkpointer(settings) as saver, open_store(settings) as store:
        graph = build(saver)
        while not stop.is_set():
            began = time.monotonic()
            v = runner.view(graph, run_id)
            phase = "waiting for approval" if v.waiting else str(v.state.get("phase") or "designed")
            ticks = [s.tick for s in store.samples(run_id)]
            now = time.monotonic()
            reads.append(now - began)
            if phase != last_phase:
                seen.append((now, "phase", phase))
                last_phase = phase
            for t in sorted(t for t in ticks if t > last_tick):
                seen.append((now, "tick", t))
            last_tick = max([last_tick, *ticks])
            if v.state.get("report_path"):
                return
            stop.wait(every_s)


def read_stream(base: str, run_id: str, events: list[tuple[float, str, int]], ready: threading.Event) -> None:
    """Record (arrival wall time, phase, newest tick so far) for every SSE event until ``end``."""
    newest = -1
    with httpx.stream("GET", f"{base}/runs/{run_id}/live", timeout=None) as r:
        ready.set()
        kind, data = "message", ""
        for line in r.iter_lines():
            if line.startswith("event:"):
                kind = line[6:].strip()
            elif line.startswith("data:"):
                data += line[5:].strip()
            elif line == "":
                if kind == "end":
                    return
                if kind == "message" and data:
                    body = json.loads(data)
                    newest = max([newest, *(s["tick"] for s in body["samples"])])
                    events.append((time.monotonic(), body["phase"], newest))
                kind, data = "message", ""


def approve(base: str, run_id: str) -> None:
    with httpx.Client(base_url=base, timeout=60) as c:
        c.post("/login", data={"csrf": hidden(c.get("/login").text, "csrf"), "name": USER, "token": TOKEN})
        page = c.get("/approvals").text
        section = page[page.index(f'id="run-{run_id}"'):]
        r = c.post(f"/approvals/{run_id}", data={"csrf": hidden(section, "csrf"), "interrupt_id": hidden(section, "interrupt_id"),
                                              "verdict": "approve", "choice": "1", "note": "bench"}, follow_redirects=True)
        assert r.status_code == 200 and "accepted" in r.text, r.text[-500:]


def delays(seen: list[tuple[float, str, object]], events: list[tuple[float, str, int]]) -> list[float]:
    """For each change, ms from the poller seeing it to the first event (in order) reflecting it."""
    out, i = [], 0
    for at, kind, value in seen:
        j = i
        while j < len(events) and not (events[j][1] == value if kind == "phase" else events[j][2] >= value):  # type: ignore[operator]
            j += 1
        if j == len(events):
            print(f"  never streamed: {kind} {value}")
            continue
        out.append((events[j][0] - at) * 1000)
        if kind == "phase":
            i = j  # phases come in order; a later phase is matched at or after this event
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, default=2.0, help="twin virtual seconds per real second")
    parser.add_argument("--runs", type=int, default=3, help="runs approved one after another (~22 changes each)")
    parser.add_argument("--poll-ms", type=float, default=10.0, help="how often the poller reads the store")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, TwinServer(Path(tmp) / "twin" / "state.json", seed=42) as twin:
        data = yaml.safe_load((ROOT / "stack.yaml").read_text())
        data["twin"].update(url=twin.url, speed=args.speed)
        data["policy"]["approvers"] = ["cli:*", f"web:{USER}"]
        data["web"] = {"token": TOKEN}
        cfg = Path(tmp) / "stack.yaml"
        cfg.write_text(yaml.safe_dump(data))
        settings = load_settings(cfg)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([sys.executable, "-m", "agent", "web", "--twin", "--config", str(cfg), "--port", str(port)],
                                  cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        ms: list[float] = []
        reads: list[float] = []
        try:
            for _ in range(300):
                try:
                    httpx.get(f"{base}/runs", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            for n in range(args.runs):
                run_id = f"live{n:04d}"
                with open_deps(settings, ClusterBinding(twin=True), console=Console(file=io.StringIO()),
                               realtime=False) as deps, open_checkpointer(settings) as saver:
                    assert runner.start(build(saver), deps, run_id=run_id, count=2, cluster={"twin": True}).waiting
                seen: list[tuple[float, str, object]] = []
                events: list[tuple[float, str, int]] = []
                stop, ready = threading.Event(), threading.Event()
                reader = threading.Thread(target=read_stream, args=(base, run_id, events, ready), daemon=True)
                reader.start()
                ready.wait(30)
                poller = threading.Thread(target=poll, args=(settings, run_id, stop, args.poll_ms / 1000, seen, reads),
                                          daemon=True)
                poller.start()
                started = time.monotonic()
                approve(base, run_id)
                reader.join(600)
                stop.set()
                poller.join(30)
                ms += delays(seen, events)
                ticks = sum(1 for _, k, _ in seen if k == "tick")
                print(f"run {run_id}: {time.monotonic() - started:.1f} s after approval, {len(events)} SSE events, "
                      f"{ticks} ticks + {len(seen) - ticks} phases stored")
        finally:
            server.terminate()
            _, err = server.communicate(timeout=60)
            if server.returncode not in (0, -15):
                print(err.decode()[-2000:])
    assert len(ms) >= 20, f"only {len(ms)} changes measured; pass more --runs"
    p95 = sorted(ms)[int(0.95 * (len(ms) - 1))]
    print(f"twin speed {args.speed:g}, {args.runs} runs")
    print(f"poller: every {args.poll_ms:g} ms, read median {statistics.median(reads) * 1000:.1f} ms, "
          f"p95 {sorted(reads)[int(0.95 * (len(reads) - 1))] * 1000:.1f} ms (how late it may see a write)")
    print(f"state stored -> SSE event at the client: count {len(ms)}, p50 {statistics.median(ms):.0f} ms, "
          f"p95 {p95:.0f} ms, max {max(ms):.0f} ms, min {min(ms):.0f} ms; "
          f"target p95 <= {TARGET_MS:.0f} ms: {'ok' if p95 <= TARGET_MS else 'MISSED'}")
    sys.exit(0 if p95 <= TARGET_MS else 1)


if __name__ == "__main__":
    main()
