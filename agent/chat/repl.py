"""The chat REPL: slash commands always, plain words when a tool-calling model is configured.

Both paths call the same tools (``tools.build_chat_tools``, handed in by the CLI, as this module
sits below ``tools``): ``/approve RUN N`` invokes ``approve_experiment`` just as the model does.
Lines come from a ``read(prompt)`` function: ``line_reader`` (readline: history file, tab
completion) at a terminal, any callable in tests. Ctrl-C cancels the line or the command being
run and the REPL carries on; Ctrl-D (EOF) or /quit leaves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from pathlib import Path

from langchain_core.tools import BaseTool
from pydantic import BaseModel
from rich import box
from rich.console import Console, Group, RenderableType
from rich.markdown import Markdown
from rich.markup import escape
from rich.table import Table

from agent.chat.agent import ChatAgent, Confirm, ToolStep
from agent.errors import ChaosAdvisorError
from agent.inventory.view import render_inventory
from agent.models import Candidate, Inventory

Reader = Callable[[str], str]
PROMPT = "chaos> "


class _Usage(Exception):
    """A slash command's words do not fit its parameters (never leaves this module)."""


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
        """The tool's arguments from the words after the command; _Usage when they do not fit."""
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
                raise _Usage(f"{name} is missing")
            out[name] = _number(words[i], name) if name in numbers else words[i]
        if len(words) > len(params):
            raise _Usage(f"unexpected {' '.join(words[len(params):])!r}")
        return out

    def run_position(self) -> int | None:
        """Which word (1-based, after the command) is a run id, for completion."""
        names = [n for n, _ in self._params()]
        return names.index("run_id") + 1 if "run_id" in names else None


def _number(word: str, key: str) -> int:
    try:
        return int(word)
    except ValueError:
        raise _Usage(f"{key} must be a whole number, got {word!r}") from None


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


class Repl:
    """Reads lines and answers them: slash commands call tools; other text goes to the agent."""

    def __init__(self, console: Console, tools: Sequence[BaseTool], *, read: Reader, agent: ChatAgent | None = None,
                 run_ids: Callable[[], list[str]] = list, offline: str = "llm.enabled is false") -> None:
        self._console = console
        self._tools = {t.name: t for t in tools}
        self._read = read
        self._agent = agent
        self._run_ids = run_ids
        self._offline = offline  # why plain words are not understood (shown when someone tries)

    def run(self) -> None:
        """Until /quit or EOF (Ctrl-D)."""
        while True:
            try:
                line = self._read(PROMPT).strip()
            except EOFError:
                self._console.print()
                return
            except KeyboardInterrupt:
                self._console.print("^C")
                continue
            try:
                if not self.handle(line):
                    return
            except KeyboardInterrupt:
                self._console.print("[yellow]cancelled.[/yellow] A run that was executing may still be "
                                    "applying chaos: check it with /status RUN, stop it with /abort RUN")

    def handle(self, line: str) -> bool:
        """Answer one line; False when it asks to leave."""
        if not line:
            return True
        if line.split()[0] in QUIT:
            return False
        if line.startswith("/"):
            self._slash(line)
        elif self._agent is None:
            self._console.print(f"Plain words need a model ({self._offline}); /help lists the commands.",
                                highlight=False)
        else:
            self._ask(self._agent, line)
        return True

    def _slash(self, line: str) -> None:
        name, *words = line.split()
        if name == "/help":
            self._help()
            return
        command = COMMANDS.get(name)
        if command is None:
            self._console.print(f"unknown command {name}; /help lists them", highlight=False, markup=False)
            return
        try:
            args = command.bind(words)
        except _Usage as e:
            self._console.print(f"{e}; usage: {command.usage}", highlight=False, markup=False)
            return
        tool = self._tools.get(command.tool)
        if tool is None:
            self._console.print(f"{name} is not available in this chat", highlight=False, markup=False)
            return
        try:
            result = tool.invoke(args)
        except (ChaosAdvisorError, ValueError) as e:  # the tool's message (or its argument check's)
            self._console.print(f"[red]error:[/red] {escape(str(e))}", highlight=False)
            return
        show(self._console, result)

    def _ask(self, agent: ChatAgent, text: str) -> None:
        turn = agent.turn(text, on_step=self._step)
        if turn.failed:
            self._console.print(f"[red]error:[/red] {escape(turn.reply)}", highlight=False)
        elif turn.reply:
            self._console.print(Markdown(turn.reply))

    def _step(self, step: ToolStep) -> None:
        call = f"{step.name}({', '.join(f'{k}={v!r}' for k, v in step.args.items())})"
        if step.error is not None:
            self._console.print(f"  [red]✗ {escape(call)}:[/red] {escape(step.error)}", highlight=False)
            return
        self._console.print(f"  [dim]→ {escape(call)}[/dim]", highlight=False)
        if (self._tools[step.name].metadata or {}).get("changes"):
            show(self._console, step.result)  # what changed, in code's words, not only the model's

    def _help(self) -> None:
        table = Table(box=box.SIMPLE_HEAD, title="Commands", title_justify="left")
        table.add_column("command")
        table.add_column("what it does")
        for c in COMMANDS.values():
            table.add_row(c.usage, c.help)
        table.add_row("/help", "this list")
        table.add_row("/quit", "leave (also Ctrl-D); Ctrl-C cancels the current line or command")
        self._console.print(table)
        if self._agent is not None:
            self._console.print("Or ask in plain words, e.g. “what would you test first?”, "
                                "“approve the second one”.")

    def complete(self, text: str, line: str) -> list[str]:
        """Completions of the word ``text`` being typed at the end of ``line``."""
        words = line.split()
        position = len(words) if line.endswith(" ") or not words else len(words) - 1
        if position == 0:
            return [c for c in [*COMMANDS, "/help", *QUIT] if c.startswith(text)]
        command = COMMANDS.get(words[0])
        if command is not None and command.run_position() == position:
            return [r for r in self._run_ids() if r.startswith(text)]
        return []


def confirm_with(console: Console, read: Reader,
                 describe: Callable[[str, Mapping[str, object]], str | None] = lambda name, args: None) -> Confirm:
    """Ask the person before the model runs a tool that decides something (approve, reject);
    ``describe`` says in words what the call would decide (e.g. the experiment's title)."""

    def confirm(name: str, args: Mapping[str, object]) -> bool:
        call = f"{name}({', '.join(f'{k}={v!r}' for k, v in args.items())})"
        console.print(f"The assistant wants to run [bold]{escape(call)}[/bold] as you.", highlight=False)
        what = describe(name, args)
        if what:
            console.print(f"  That is: {escape(what)}", highlight=False)
        try:
            return read("Go ahead? [y/N] ").strip().lower() in ("y", "yes")
        except (EOFError, KeyboardInterrupt):
            console.print()
            return False

    return confirm


@contextmanager
def line_reader(history: Path, complete: Callable[[str, str], list[str]]) -> Iterator[Reader]:
    """``input`` with readline: tab completion via ``complete(text, line)``, history in ``history``."""
    import readline

    matches: list[str] = []

    def completer(text: str, state: int) -> str | None:
        if state == 0:
            matches[:] = complete(text, readline.get_line_buffer())
        return matches[state] if state < len(matches) else None

    readline.set_completer_delims(" \t")
    readline.set_completer(completer)
    libedit = "libedit" in (readline.__doc__ or "")  # macOS's Python binds keys differently
    readline.parse_and_bind("bind ^I rl_complete" if libedit else "tab: complete")
    readline.set_history_length(1000)
    history.parent.mkdir(parents=True, exist_ok=True)
    try:
        readline.read_history_file(history)
    except OSError:
        pass  # the first chat: no history yet
    try:
        yield input
    finally:
        readline.set_completer(None)
        try:
            readline.write_history_file(history)
        except OSError:
            pass  # a read-only state directory loses the history, not the chat


# --- rendering ---------------------------------------------------------------------------------


def show(console: Console, value: object) -> None:
    """Print a tool's result: known models get their view; any other model a field table (a
    ``markdown`` field is rendered as Markdown); text as it is."""
    if value is None:
        return
    if isinstance(value, Inventory):
        render_inventory(console, value)
    elif isinstance(value, BaseModel):
        console.print(view(value))
    else:
        console.print(str(value), highlight=False, markup=False)


def view(model: BaseModel) -> RenderableType:
    """A field table of ``model``; nested models nest, lists of models become tables."""
    table = Table(show_header=False, box=box.SIMPLE, pad_edge=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    after: list[RenderableType] = []
    for name, spec in type(model).model_fields.items():
        value = getattr(model, name)
        if spec.exclude or value is None or value == {}:
            continue
        if value == []:
            table.add_row(name.replace("_", " "), "none")
            continue
        if name == "markdown" and isinstance(value, str):
            after.append(Markdown(value))
        elif isinstance(value, list) and all(isinstance(v, Candidate) for v in value):
            after.append(_candidates(value))
        else:
            table.add_row(name.replace("_", " "), _cell(name, value))
    return Group(table, *after) if after else table


def _cell(name: str, value: object) -> RenderableType:
    if isinstance(value, BaseModel):
        return view(value)
    if isinstance(value, list):
        if all(isinstance(v, BaseModel) for v in value):
            return _rows([v for v in value if isinstance(v, BaseModel)])
        if name == "candidates":
            return "\n".join(f"{i}. {v}" for i, v in enumerate(value, 1))
        return "\n".join(str(_plain(v)) for v in value)
    if isinstance(value, dict):
        return "\n".join(f"{k}: {_plain(v)}" for k, v in value.items())
    return escape(str(_plain(value)))


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, float):
        return f"{value:g}"
    return value


def _rows(items: list[BaseModel]) -> Table:
    fields = [n for n, f in type(items[0]).model_fields.items()
              if not f.exclude and any(getattr(i, n) not in (None, [], {}) for i in items)]
    table = Table(box=box.SIMPLE_HEAD)
    for name in fields:
        table.add_column(name.replace("_", " "), overflow="fold")
    for item in items:
        table.add_row(*(_cell(n, getattr(item, n)) if getattr(item, n) is not None else "-" for n in fields))
    return table


def _candidates(candidates: list[Candidate]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, title=f"{len(candidates)} candidate(s)", title_justify="left")
    for column in ("#", "title", "action", "target", "risk", "duration", "score", "why"):
        table.add_column(column, overflow="fold")
    for c in candidates:
        s = c.spec
        table.add_row(str(c.rank), escape(s.title), s.action.value,
                      f"{s.target_selector.namespace}/{s.target_selector.service}", s.risk_level,
                      f"{s.parameters.duration_s} s", f"{c.score:g}", escape(s.rationale))
    return table
