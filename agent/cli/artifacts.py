"""``--junit PATH`` and ``--result PATH`` of run, run-graph and resume: the run's artifacts for CI.

Both are written when the command ends, from the result narrate wrote beside the report
(``agent.report.ci``), or from the waiting state when the run is left waiting for an approval.
Each is checked before anything runs (a path that cannot be written is bad input, told before
any chaos) and written whole (a temporary file renamed into place): a replay writes the same bytes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from agent.report.result import RunResult

JunitOpt = Annotated[Path | None, typer.Option(
    "--junit", help="When the run ends, write a JUnit XML file here (one test case per steady-state check and per "
                    "prediction; Jenkins xUnit's junit-10 schema).")]
ResultOpt = Annotated[Path | None, typer.Option(
    "--result", help="When the run ends, write its result JSON here (schema_version 1.1; python -m agent schema "
                     "--result).")]


@dataclass(frozen=True)
class Artifacts:
    junit: Path | None = None
    result: Path | None = None

    def write(self, result: RunResult) -> None:
        """Write the requested files for ``result``."""
        from agent.report.junit import render
        from agent.report.result import dumps

        if self.result is not None:
            _write(self.result, dumps(result))
        if self.junit is not None:
            _write(self.junit, render(result))


def artifacts(junit: Path | None, result: Path | None) -> Artifacts:
    """The options checked: each must be a file path whose nearest existing folder is writable."""
    for option, path in (("--junit", junit), ("--result", result)):
        if path is not None:
            _check(option, path)
    if junit is not None and result is not None and junit.resolve() == result.resolve():
        raise typer.BadParameter(f"--junit and --result are the same file ({junit}); give two paths")
    return Artifacts(junit=junit, result=result)


def _check(option: str, path: Path) -> None:
    if path.is_dir():
        raise typer.BadParameter(f"{option} {path}: is a directory; give a file path such as {path / 'out.xml'}")
    import tempfile

    folder = next(p for p in (path.resolve().parent, *path.resolve().parents) if p.exists())
    try:  # a probe, not os.access: root passes every access check, yet /proc takes no file
        if not folder.is_dir():
            raise NotADirectoryError(str(folder))
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".chaos-advisor-probe-"):
            pass
    except OSError:
        raise typer.BadParameter(f"{option} {path}: cannot write under {folder}; give a writable path") from None


def _write(path: Path, text: str) -> None:
    from agent.errors import ChaosAdvisorError

    tmp = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise ChaosAdvisorError(f"cannot write {path} ({e.strerror}); the run itself has ended and is reported") from None
