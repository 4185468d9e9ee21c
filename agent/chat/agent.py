"""The chat agent: a chat model with the tools bound, called in a loop, one tool call at a time.

    the person's text -> model --tool calls--> run each, in order -> ToolMessages -> model -> ...
                              --text--------> the reply (ends the turn)

A loop of our own rather than LangGraph's prebuilt agent: its ToolNode runs the calls of one
answer in parallel, and an approval must never race another call (NOTES.md); and
``create_react_agent`` is deprecated in langgraph 1.x for the ``langchain`` package, which is not
a dependency. The model holds no write path of its own: it only calls the tools it is given.

What the model may not do: call a tool that is not bound (it gets a refusal naming the tools it
has), or run a tool marked ``metadata["confirm"]`` (approve, reject) unless the person at the
terminal says yes.

Errors: a tool's ChaosAdvisorError, and a ValueError from its argument checks (pydantic's
ValidationError is one), go back to the model as an error ToolMessage, so it can tell the person;
anything else is a bug and propagates. The model's own failure (a ChaosAdvisorError from its
adapter, e.g. ChatUnavailable) ends the turn with that one line. A turn interrupted by Ctrl-C is
forgotten: the model never sees half of it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import BaseTool
from pydantic import BaseModel
from pydantic_core import to_json

from agent.errors import ChaosAdvisorError

MAX_STEPS = 8  # model calls per turn; a model looping on tools stops here
MAX_HISTORY = 60  # messages kept across turns (oldest whole turns dropped first)
MAX_RESULT_CHARS = 12_000  # of one tool result sent back to the model (~3k tokens)

Confirm = Callable[[str, Mapping[str, object]], bool]


@dataclass(frozen=True)
class ToolStep:
    """One tool call of a turn: what was asked, and its result or the error the model was shown."""

    name: str
    args: Mapping[str, object]
    result: object = None
    error: str | None = None


@dataclass(frozen=True)
class Turn:
    """The model's reply to one message, and the tool calls it made on the way."""

    reply: str
    steps: list[ToolStep] = field(default_factory=list)
    failed: bool = False  # True: the reply is an error line, not the model's words


class ChatAgent:
    """A conversation with a tool-calling chat model."""

    def __init__(self, model: BaseChatModel, tools: Sequence[BaseTool], *, system: str, confirm: Confirm,
                 max_steps: int = MAX_STEPS, shape: Callable[[object], object] = lambda result: result) -> None:
        self._tools = {t.name: t for t in tools}
        self._shape = shape  # what the model reads of a result (tools.model_view.for_model)
        self._model = model.bind_tools(list(tools))
        self._system = SystemMessage(system)
        self._confirm = confirm
        self._max_steps = max_steps
        self._history: list[BaseMessage] = []

    def turn(self, text: str, *, on_step: Callable[[ToolStep], None] | None = None) -> Turn:
        """Answer ``text``, calling tools as the model asks; ``on_step`` sees each call as it ends."""
        messages: list[BaseMessage] = [*self._history, HumanMessage(text)]
        steps: list[ToolStep] = []
        for _ in range(self._max_steps):
            try:
                answer = self._model.invoke([self._system, *messages])
            except ChaosAdvisorError as e:
                self._remember(messages)
                return Turn(reply=str(e), steps=steps, failed=True)
            messages.append(answer)
            if not answer.tool_calls and not answer.invalid_tool_calls:
                self._remember(messages)
                return Turn(reply=_text(answer), steps=steps)
            for call in answer.tool_calls:
                step = self._run(call["name"], call["args"])
                steps.append(step)
                if on_step is not None:
                    on_step(step)
                messages.append(_message(step, call["id"] or "", self._shape))
            for bad in answer.invalid_tool_calls:
                messages.append(ToolMessage(f"error: the arguments were not valid JSON ({bad.get('error')}); "
                                            "call again with a JSON object", tool_call_id=bad["id"] or "",
                                            status="error"))
        self._remember(messages)
        return Turn(reply=f"stopped after {self._max_steps} model calls without a final answer; ask again",
                    steps=steps, failed=True)

    def _run(self, name: str, args: Mapping[str, object]) -> ToolStep:
        tool = self._tools.get(name)
        if tool is None:
            return ToolStep(name, args, error=(
                f"there is no tool {name!r}; the tools are {', '.join(sorted(self._tools))}. Chaos is "
                "applied only by approving a paused run (start_run, then approve_experiment)"))
        if (tool.metadata or {}).get("confirm") and not self._confirm(name, args):
            return ToolStep(name, args, error="the person at the terminal declined; nothing changed")
        try:
            return ToolStep(name, args, result=tool.invoke(dict(args)))
        except (ChaosAdvisorError, ValueError) as e:
            return ToolStep(name, args, error=str(e))

    def _remember(self, messages: list[BaseMessage]) -> None:
        """Keep the conversation, dropping the oldest whole turns past MAX_HISTORY messages (a
        turn starts at a HumanMessage, so no ToolMessage loses the call it answers)."""
        while len(messages) > MAX_HISTORY:
            later = [i for i, m in enumerate(messages) if isinstance(m, HumanMessage) and i > 0]
            if not later:
                break
            messages = messages[later[0]:]
        self._history = messages


def _message(step: ToolStep, call_id: str, shape: Callable[[object], object]) -> ToolMessage:
    if step.error is not None:
        return ToolMessage(f"error: {step.error}", tool_call_id=call_id, name=step.name, status="error")
    return ToolMessage(result_text(shape(step.result)), tool_call_id=call_id, name=step.name)


def result_text(result: object) -> str:
    """A tool result as the model reads it: JSON (None fields left out), cut at MAX_RESULT_CHARS."""
    if isinstance(result, str):
        text = result
    elif isinstance(result, BaseModel):
        text = result.model_dump_json(exclude_none=True)
    else:
        text = to_json(result).decode()
    if len(text) > MAX_RESULT_CHARS:
        return text[:MAX_RESULT_CHARS] + f" …(cut: {len(text)} characters in all)"
    return text


def _text(answer: AIMessage) -> str:
    if isinstance(answer.content, str):
        return answer.content
    return "".join(b if isinstance(b, str) else str(b.get("text", "")) for b in answer.content)
