"""How far off are the planner's predictions? Its top candidate, run for real on the twin.

    python bench/prediction_error.py [--limit N] [--base-top N] [--json]

For each Sock Shop scenario of the advice harness (``bench/advice_eval.py``: the upstream manifests
hardened everywhere but one planted weakness, each in its own namespace), a twin is seeded with the
scenario's manifests, the whole graph runs (discover → design with the offline planner → approve
the top candidate → execute → monitor → verify → narrate, on the twin's virtual clock), and the
prediction error is read from the run's result JSON (``<report>.result.json``, written by narrate:
``agent/report/result.py``'s ``prediction_error``). ``--base-top N`` runs the top N candidates of
the unplanted upstream Sock Shop instead (one twin each).

Printed, over the runs that injected a fault: the mean blast-radius precision and recall (predicted
vs affected services), the mean error of each predicted peak per signal (observed - predicted,
signed and absolute), and the mean recovery error (observed - predicted seconds; runs whose
services were not back by the end of the watch are counted apart). Offline: the twin, the real
kubernetes client, the planner; no LLM.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml
from langgraph.checkpoint.memory import InMemorySaver
from rich.console import Console

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.config import load_settings  # noqa: E402
from agent.models import Decision  # noqa: E402
from agent.report import ci  # noqa: E402
from agent.report.result import RunResult  # noqa: E402
from agent.wiring import ClusterBinding, open_deps  # noqa: E402
from bench.advice_eval import APPS, Scenario, scenario_docs, scenarios, stack_for  # noqa: E402
from graphs import runner  # noqa: E402
from graphs.builder import build  # noqa: E402


@dataclass(frozen=True)
class Run:
    name: str  # the scenario, or "sock-shop #k" for the base scenario's k-th candidate
    result: RunResult | None
    seconds: float
    note: str = ""  # why there is no result


def run_one(name: str, stack: Path, manifests: Path | None, *, choice: int, count: int, workdir: Path) -> Run:
    """One whole graph on a twin of its own; the candidate ``choice`` (1 = the top) approved."""
    started = time.perf_counter()
    doc = yaml.safe_load(stack.read_text(encoding="utf-8"))
    doc["paths"] = {"state_dir": str(workdir / "state"), "reports": str(workdir / "reports"),
                    "experiments": str(workdir / "experiments")}
    stack.write_text(yaml.safe_dump(doc), encoding="utf-8")
    settings = load_settings(stack)
    binding = ClusterBinding(twin=True, manifests=[str(manifests)] if manifests else None)
    with open_deps(settings, binding, console=Console(file=io.StringIO()), realtime=False) as deps:
        graph = build(InMemorySaver())
        run_id = f"p{abs(hash((name, choice))) % 10**7:07d}"
        paused = runner.start(graph, deps, run_id=run_id, count=count, cluster=binding.model_dump())
        if paused.waiting is None:
            return Run(name, None, time.perf_counter() - started, f"no candidate: {paused.state.get('reason')}")
        decision = Decision(verdict="approve", choice=choice, approver="bench", channel="cli", at=deps.clock.now())
        view = runner.resume(graph, deps, run_id, decision)
        report = view.state.get("report_path")
        if not report or not ci.beside(Path(str(report))).exists():
            return Run(name, None, time.perf_counter() - started, f"no result: {view.state.get('outcome')}")
        return Run(name, ci.load(Path(str(report))), time.perf_counter() - started)


def scenario_runs(limit: int | None, workdir: Path) -> list[Run]:
    app = next(a for a in APPS if a.name == "sock-shop")
    base = [d for d in yaml.safe_load_all(app.manifests.read_text(encoding="utf-8")) if isinstance(d, dict)]
    out = []
    for s in list(scenarios(app, base))[:limit]:
        out.append(_scenario(s, base, workdir / s.namespace))
        _progress(out[-1])
    return out


def _scenario(s: Scenario, base: list[dict[str, object]], workdir: Path) -> Run:
    workdir.mkdir(parents=True)
    manifests = workdir / "manifests.yaml"
    manifests.write_text(yaml.safe_dump_all(scenario_docs(s, base)), encoding="utf-8")  # type: ignore[arg-type]
    return run_one(f"{s.kind} {s.service}", stack_for(s, workdir), manifests, choice=1, count=1, workdir=workdir)


def base_runs(top: int, workdir: Path) -> list[Run]:
    out = []
    for k in range(1, top + 1):
        d = workdir / f"base-{k}"
        d.mkdir(parents=True)
        stack = d / "stack.yaml"
        stack.write_text((ROOT / "stack.yaml").read_text(encoding="utf-8"), encoding="utf-8")
        out.append(run_one(f"sock-shop #{k}", stack, None, choice=k, count=top, workdir=d))
        _progress(out[-1])
    return out


def _progress(r: Run) -> None:
    pe = r.result.prediction_error if r.result else None
    what = (f"{r.result.spec.get('title') if r.result and r.result.spec else '?'}: outcome "
            f"{r.result.outcome if r.result else '-'}") if r.result else r.note
    print(f"  {r.name:<34} {r.seconds:5.1f} s  {what}{'' if pe else ' (no prediction error)'}", file=sys.stderr)


def summary(runs: list[Run]) -> dict[str, object]:
    """The mean error per figure over the runs with a prediction error."""
    graded = [r.result.prediction_error for r in runs if r.result and r.result.prediction_error]
    precision = [p.blast_radius.precision for p in graded if p.blast_radius.precision is not None]
    recall = [p.blast_radius.recall for p in graded if p.blast_radius.recall is not None]
    peaks: dict[str, list[float]] = {}
    for p in graded:
        for e in p.peaks:
            if e.error is not None:
                peaks.setdefault(e.signal, []).append(e.error)
    rec = [p.recovery for p in graded if p.recovery is not None]
    back = [r.error_s for r in rec if r.error_s is not None]
    return {
        "runs": len(runs), "graded": len(graded),
        "blast_radius": {"precision": _mean(precision), "recall": _mean(recall), "n": len(precision)},
        "peaks": {s: {"mean_error": _mean(v), "mean_abs_error": _mean([abs(x) for x in v]), "n": len(v)}
                  for s, v in sorted(peaks.items())},
        "recovery_s": {"mean_error": _mean(back), "mean_abs_error": _mean([abs(x) for x in back]), "n": len(back),
                       "not_back": len(rec) - len(back)},
    }


def _mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


def _f(v: object, unit: str = "") -> str:
    return "n/a" if v is None else f"{v:.2f}{unit}" if isinstance(v, float) else str(v)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="at most N scenarios (default: all Sock Shop ones)")
    parser.add_argument("--base-top", type=int, default=0, help="run the base Sock Shop's top N candidates instead")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        runs = base_runs(args.base_top, Path(tmp)) if args.base_top else scenario_runs(args.limit, Path(tmp))
    out = summary(runs)
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    br, rec = out["blast_radius"], out["recovery_s"]
    assert isinstance(br, dict) and isinstance(rec, dict) and isinstance(out["peaks"], dict)
    print(f"{out['graded']} of {out['runs']} runs graded ({time.perf_counter() - started:.0f} s)")
    print(f"{'figure':<28} {'mean error':>11} {'mean |error|':>13} {'n':>4}")
    print(f"{'blast radius precision':<28} {_f(br['precision']):>11} {'':>13} {br['n']:>4}")
    print(f"{'blast radius recall':<28} {_f(br['recall']):>11} {'':>13} {br['n']:>4}")
    for signal, row in out["peaks"].items():
        print(f"{'peak ' + signal:<28} {_f(row['mean_error']):>11} {_f(row['mean_abs_error']):>13} {row['n']:>4}")
    print(f"{'recovery (s)':<28} {_f(rec['mean_error']):>11} {_f(rec['mean_abs_error']):>13} {rec['n']:>4}"
          f"  ({rec['not_back']} not back by the end of the watch)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
