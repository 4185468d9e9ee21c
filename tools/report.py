"""Tool: show a run's report (or the latest one)."""

from __future__ import annotations

from pathlib import Path

from langchain_core.tools import BaseTool, tool
from pydantic import BaseModel

from agent.errors import ChaosAdvisorError
from agent.ports import Deps
from tools.runs import RunControl

MAX_CHARS = 8000  # enough for the summary, findings and recommendations; the file has the rest


class Report(BaseModel):
    """A report's Markdown, cut at ``MAX_CHARS`` (``truncated`` says so; ``path`` has it all)."""

    path: str
    markdown: str
    truncated: bool = False


def report_tool(deps: Deps, runs: RunControl) -> BaseTool:
    @tool(parse_docstring=True)
    def show_report(run_id: str | None = None) -> Report:
        """Show a finished run's report (Markdown): TL;DR, what happened, findings against the
        hypothesis, impact, recommendations. Read-only.

        Args:
            run_id: The run's id; None for the last run that applied a fault.
        """
        if run_id is None:
            path = deps.settings.path(deps.settings.paths.reports) / "latest.md"
        else:
            written = runs.get(run_id).report_path
            if written is None:
                raise ChaosAdvisorError(f"run {run_id} has no report yet; it is written when the run ends")
            path = Path(written)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            if run_id is not None:
                raise ChaosAdvisorError(f"run {run_id}: its report {path} is gone; was the reports "
                                        "directory moved?") from None
            raise ChaosAdvisorError(f"no report yet in {path.parent}; one is written when a run ends") from None
        except OSError as e:
            raise ChaosAdvisorError(f"{path}: cannot read the report ({e.strerror}); "
                                    "was the reports directory moved?") from None
        if len(text) <= MAX_CHARS:
            return Report(path=str(path), markdown=text)
        cut = text[:MAX_CHARS].rsplit("\n", 1)[0]  # at a line end, not inside a table row
        return Report(path=str(path), markdown=f"{cut}\n\n*(cut here: the whole report is {path})*", truncated=True)

    return show_report
