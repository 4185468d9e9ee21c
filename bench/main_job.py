"""Wall time of the main job on the twin, and of `--help` (cold start). Prints numbers.

    python bench/main_job.py [--runs N]

Runs in a temporary copy of stack.yaml so the repository's reports/ stay untouched; the twin's
clock is advanced without real waiting (CHAOS_ADVISOR_TWIN__SPEED huge), so the figure is the
agent's own cost: graph steps, checkpoints, HTTP to the twin.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(args: list[str], cwd: Path) -> float:
    env = os.environ | {"CHAOS_ADVISOR_TWIN__SPEED": "1000000"}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "agent", *args], cwd=cwd, env=env, check=True,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    help_s, job_s = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            shutil.copy(ROOT / "stack.yaml", work / "stack.yaml")
            help_s.append(timed(["--help"], work))
            job_s.append(timed(["run-graph", "--twin", "--approve", "1"], work))
    print(f"python -m agent --help      median {statistics.median(help_s):.3f} s  (n={runs})")
    print(f"main job (run-graph --twin) median {statistics.median(job_s):.2f} s  (n={runs})")


if __name__ == "__main__":
    main()
