"""The web console on the Sock Shop twin, for the TestClient tests and the browser tests.

A twin serves on 127.0.0.1 (``twin.url``), so every process and thread of the test — the run
started here, the console's reads, a run the console executes — talks to the same cluster, as the
console does with a real one. The twin runs fast (``twin.speed``): an approved run ends in seconds.
"""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml
from rich.console import Console

from agent.config import Settings, load_settings
from agent.models import AuditEntry
from agent.web.actions import Actions
from agent.web.app import build_app
from agent.web.console import WebConsole
from agent.wiring import ClusterBinding, open_checkpointer, open_deps, open_store
from graphs import runner
from graphs.builder import build
from twin import TwinServer

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "s3cret-web-token"
APPROVER = "alice"  # web:alice is in policy.approvers
STRANGER = "bob"  # signed in, but not an approver
RUN_DEADLINE_S = 120.0  # an approved run on the fast twin ends in a few seconds


@dataclass
class Web:
    settings: Settings
    console: WebConsole
    actions: Actions

    def app(self):  # type: ignore[no-untyped-def]
        return build_app(self.settings, self.console, self.actions)

    def start(self, run_id: str) -> str:
        """Start a run up to its approval pause, as ``run-graph`` does in another process."""
        with open_deps(self.settings, ClusterBinding(twin=True), console=Console(file=io.StringIO()), realtime=False) as deps, \
                open_checkpointer(self.settings) as saver:
            view = runner.start(build(saver), deps, run_id=run_id, count=2, cluster={"twin": True})
        assert view.waiting is not None and view.interrupt_id
        return view.interrupt_id

    def view(self, run_id: str) -> runner.RunView:
        with open_checkpointer(self.settings) as saver:
            return runner.view(build(saver), run_id)

    def audit(self, run_id: str, *actions: str) -> list[AuditEntry]:
        with open_store(self.settings) as store:
            from agent.wiring import build_audit

            return [e for e in build_audit(self.settings, store).entries(run_id) if not actions or e.action in actions]


@contextmanager
def web_on_twin(tmp_path: Path, *, speed: float = 1_000_000, **web: object) -> Iterator[Web]:
    """The console's parts over a twin served on 127.0.0.1; runs the console executes pace the
    twin's clock at ``speed`` virtual seconds per real second (the default: no waiting)."""
    with TwinServer(tmp_path / "twin" / "state.json", seed=42) as twin:
        data = yaml.safe_load((ROOT / "stack.yaml").read_text())
        data["twin"].update(url=twin.url, speed=speed)
        data["policy"]["approvers"] = ["cli:*", f"web:{APPROVER}"]
        data["web"] = {"token": TOKEN, **web}
        shutil.rmtree(tmp_path / "cfg", ignore_errors=True)
        (tmp_path / "cfg").mkdir()
        (tmp_path / "cfg" / "stack.yaml").write_text(yaml.safe_dump(data))
        settings = load_settings(tmp_path / "cfg" / "stack.yaml")
        actions = Actions(settings)
        try:
            yield Web(settings, WebConsole(settings, ClusterBinding(twin=True)), actions)
        finally:
            assert actions.wait(RUN_DEADLINE_S), "a run the console executes did not end in time"


def hidden(html: str, name: str) -> str:
    """The value of the first hidden input ``name`` in a page."""
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no {name} field in the page"
    return found.group(1)
