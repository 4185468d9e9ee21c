"""No-fault controls: how often does the measurement cry wolf with nothing injected?

    python bench/controls.py [--runs 20] [--duration 20] [--speed 200]

Each run is a real ``python -m agent run SPEC --control --twin --yes --result PATH`` on a fresh
Sock Shop twin (its virtual clock ``--speed`` times real time): the lease, a baseline, the watch for
``--duration`` seconds, verify and the report, with no ChaosEngine applied. The specs cycle over
the Sock Shop services, each watched at front-end (error rate above 5% aborts). Counted from each
run's result JSON: false aborts (the monitor aborted), "weakness confirmed" (verdict refuted), false
alarms (verdict false_alarm, exit 8: a threshold fired or a steady-state check failed) and held
runs. Targets: 0 false aborts, 0 weaknesses confirmed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("carts", "catalogue", "orders", "payment", "shipping", "user", "front-end", "rabbitmq", "carts-db", "user-db")


def spec(service: str, duration_s: int) -> dict[str, object]:
    """A fault spec to take the control of (its fault is never applied)."""
    return {"title": f"{service} pod delete", "description": f"Delete a {service} pod.", "action": "pod-delete",
            "target_selector": {"service": service, "namespace": "sock-shop", "labels": {"name": service}},
            "parameters": {"duration_s": duration_s, "chaos_interval_s": duration_s},
            "abort_threshold": {"service": "front-end", "error_rate_pct": 5},
            "expected_impact": "see the steady state", "risk_level": "low"}


def control(workdir: Path, service: str, *, duration_s: int, speed: float) -> dict[str, object]:
    """One control run through the real CLI; its result JSON, with the exit code seen."""
    path, result = workdir / f"{service}.json", workdir / f"{service}.result.json"
    path.write_text(json.dumps(spec(service, duration_s)))
    env = os.environ | {"CHAOS_ADVISOR_TWIN__SPEED": f"{speed:g}", "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-m", "agent", "run", str(path), "--control", "--twin", "--yes",
                           "--result", str(result), "--config", str(workdir / "stack.yaml")],
                          cwd=workdir, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600)
    if not result.exists():
        raise SystemExit(f"{service}: no result (exit {done.returncode}): {done.stdout[-800:]}{done.stderr[-800:]}")
    data: dict[str, object] = json.loads(result.read_text())
    return data | {"seen_exit": done.returncode}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--duration", type=int, default=20, help="seconds each control watches (virtual)")
    parser.add_argument("--speed", type=float, default=200, help="the twin's clock, times real time")
    args = parser.parse_args()
    if args.runs < 1 or args.duration < 1 or args.speed <= 0:
        parser.error("--runs and --duration must be at least 1, --speed above 0")
    counts = {"false aborts": 0, "weakness confirmed": 0, "false alarms": 0, "held": 0, "other": 0}
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(args.runs):
            workdir = Path(tmp) / f"run{n:02d}"
            workdir.mkdir()
            shutil.copy(ROOT / "stack.yaml", workdir / "stack.yaml")
            service = SERVICES[n % len(SERVICES)]
            data = control(workdir, service, duration_s=args.duration, speed=args.speed)
            verdict = str(data["verdict"])
            counts["false aborts"] += data["outcome"] == "aborted"
            counts["weakness confirmed"] += verdict == "refuted"
            counts["false alarms"] += verdict == "false_alarm"
            counts["held"] += verdict == "held"
            counts["other"] += verdict not in ("held", "refuted", "false_alarm")
            failed = [c["id"] for c in data["steady_state"] if c["verdict"] == "failed"]  # type: ignore[attr-defined,index,union-attr]
            print(f"{n + 1:>3} control of {service:<10} {verdict:<12} exit {data['seen_exit']}"
                  f"{'  failed: ' + ', '.join(failed) if failed else ''}")
    print(f"\n{args.runs} control runs on the twin ({args.duration} s each, clock x{args.speed:g}) in "
          f"{time.monotonic() - started:.1f} s real time")
    for name, value in counts.items():
        print(f"  {name:<20} {value}")
    ok = counts["false aborts"] == 0 and counts["weakness confirmed"] == 0
    print(f"target (0 false aborts, 0 weaknesses confirmed): {'met' if ok else 'MISSED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
