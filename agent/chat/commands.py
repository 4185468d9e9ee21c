"""The REPL's slash commands: each names the tool it calls and how its words become arguments."""

from __future__ import annotations

from dataclasses import dataclass


class UsageError(Exception):
    """A slash command's words do not fit its parameters (the REPL prints the usage instead)."""


@dataclass(frozen=True)
class Command:
    """A slash command: the tool it calls and how its words become the tool's arguments.

    ``params`` is e.g. ``"run_id choice:int note*"``: ``?`` optional, ``:int`` a number, ``*`` the
    rest of the line."""

    name: str
    params: str
    tool: str
    help: str

    def _params(self) -> list[tuple[str, str]]:
        """(name, kind) per parameter; kind is "" (required), "?" (optional) or "*" (the rest)."""
        out = []
        for p in self.params.split():
            name = p.split(":")[0]
            out.append((name.rstrip("?*"), name[-1] if name[-1] in "?*" else ""))
        return out

    @property
    def usage(self) -> str:
        return " ".join([self.name, *(f"[{n.upper()}]" if kind else n.upper() for n, kind in self._params())])

    def bind(self, words: list[str]) -> dict[str, object]:
        """The tool's arguments from the words after the command; UsageError when they do not fit."""
        params, out = self._params(), dict[str, object]()
        numbers = {p.split(":")[0].rstrip("?*") for p in self.params.split() if p.endswith(":int")}
        for i, (name, kind) in enumerate(params):
            if kind == "*":
                if words[i:]:
                    out[name] = " ".join(words[i:])
                return out
            if i >= len(words):
                if kind == "?":
                    continue
                raise UsageError(f"{name} is missing")
            out[name] = _number(words[i], name) if name in numbers else words[i]
        if len(words) > len(params):
            raise UsageError(f"unexpected {' '.join(words[len(params):])!r}")
        return out

    def run_position(self) -> int | None:
        """Which word (1-based, after the command) is a run id, for completion."""
        names = [n for n, _ in self._params()]
        return names.index("run_id") + 1 if "run_id" in names else None


def _number(word: str, key: str) -> int:
    try:
        return int(word)
    except ValueError:
        raise UsageError(f"{key} must be a whole number, got {word!r}") from None


COMMANDS = {c.name: c for c in [
    Command("/inventory", "", "get_inventory", "the stack's services by tier, replicas, readiness"),
    Command("/suggest", "count?:int", "suggest_experiments", "propose N ranked, policy-checked experiments (read-only)"),
    Command("/explain", "rank:int run_id?", "explain_candidate", "why candidate N: reasons, hypothesis, policy verdict"),
    Command("/start", "count?:int", "start_run", "start a run with N candidates; it pauses for approval"),
    Command("/approvals", "", "list_approvals", "runs waiting for approval, with their candidates"),
    Command("/approve", "run_id choice:int note*", "approve_experiment", "approve candidate N of a paused run; it runs now"),
    Command("/reject", "run_id note*", "reject_run", "reject a paused run; nothing is applied"),
    Command("/status", "run_id", "run_status", "where a run stands: engine, verdict, signals"),
    Command("/abort", "run_id", "abort_run", "stop a run's chaos now (engineState: stop)"),
    Command("/report", "run_id?", "show_report", "a run's report, or the latest one"),
]}
QUIT = ("/quit", "/exit")
