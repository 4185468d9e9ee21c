"""Per-run sample files: the monitor's samples live outside the checkpointed state.

A list channel in LangGraph state is re-stored whole at every step (quadratic growth, see
NOTES.md), so samples are appended to ``<root>/<run_id>/samples.jsonl`` instead. A tick that is
replayed after a crash appends again; readers keep the last line per tick.
"""

from __future__ import annotations

from pathlib import Path

from agent.models import Sample


class RunStore:
    """Append-only sample files, one per run."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def _file(self, run_id: str) -> Path:
        return self._root / run_id / "samples.jsonl"

    def append(self, run_id: str, sample: Sample) -> None:
        """Record one tick's sample."""
        path = self._file(run_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as f:
            f.write(sample.model_dump_json() + "\n")

    def samples(self, run_id: str) -> list[Sample]:
        """All samples of a run in tick order, the last write of each tick winning."""
        path = self._file(run_id)
        if not path.exists():
            return []
        by_tick: dict[int, Sample] = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                sample = Sample.model_validate_json(line)
                by_tick[sample.tick] = sample
        return [by_tick[t] for t in sorted(by_tick)]
