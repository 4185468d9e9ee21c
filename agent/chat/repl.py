"""The chat REPL: slash commands always, plain words when a tool-calling model is configured.

Both paths call the same tools (``tools.build_chat_tools``, handed in by the CLI, as this module
sits below ``tools``): ``/approve RUN N`` invokes ``approve_experiment`` just as the model does.
Lines come from a ``read(prompt)`` function: ``line_reader`` (readline: history file, tab
completion) at a terminal, any callable in tests. Ctrl-C cancels the line or the command being
run and the REPL carries on; Ctrl-D (EOF) or /quit leaves.

Around this loop: :mod:`agent.chat.commands` (the slash commands and their words),
:mod:`agent.chat.render` (printing a tool's result), :mod:`agent.chat.reader` (``line_reader``
and the yes/no ``confirm_with`` asked before the model decides something).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from langchain_core.tools import BaseTool
from rich import box
from rich.console import Console
from rich.markdown import Markdown
from rich.markup import escape
from rich.table import Table

from agent.chat.agent import ChatAgent, ToolStep
from agent.chat.commands import COMMANDS, QUIT, UsageError
from agent.chat.reader import Reader
from agent.chat.render import show
from agent.errors import ChaosAdvisorError

PROMPT = "chaos> "


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
        except UsageError as e:
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
