"""An interactive payload from Slack, parsed once into a typed :class:`Click`.

slack-bolt decodes Slack's ``payload=<JSON>`` (HTTP) or the Socket Mode envelope; only
``block_actions`` (a button press) is handled. The button's
``value`` is what the Slack notifier wrote: the run id and the candidate's rank. Anything
malformed raises ApprovalError saying where and what, and nothing changes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.errors import ApprovalError
from agent.slack.ports import Answer

SAVED_ONLY = "saved only"  # the note of a "Save only" answer (a reject that keeps the specs)
M = TypeVar("M", bound=BaseModel)


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)  # Slack sends many fields we ignore


class SlackUser(_Lenient):
    id: str = Field(min_length=1)


class SlackChannel(_Lenient):
    id: str = Field(min_length=1)


class SlackContainer(_Lenient):
    message_ts: str | None = None
    channel_id: str | None = None


class SlackAction(_Lenient):
    action_id: str
    value: str = ""


class BlockActions(_Lenient):
    """Slack's ``block_actions`` interactive payload, the parts we use."""

    type: Literal["block_actions"]
    user: SlackUser
    actions: list[SlackAction] = Field(min_length=1)
    channel: SlackChannel | None = None
    container: SlackContainer | None = None


class ButtonValue(BaseModel):
    """A button's ``value`` as the Slack notifier wrote it."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)  # "1", 1.0 or true are not a choice

    run: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    choice: int | None = Field(None, ge=1)


@dataclass(frozen=True)
class Click:
    """One parsed, verified button click."""

    run_id: str
    answer: Answer
    user: str
    channel: str | None
    message_ts: str | None
    at: datetime  # when Slack sent it (its signed timestamp)
    retry: bool  # X-Slack-Retry-Num: Slack resent it because an earlier ack was lost


def parse_click(data: object, *, sent_at: datetime, retry: bool) -> Click | None:
    """The click in an interactive payload (the JSON object slack-bolt parsed from Slack's
    ``payload=<JSON>``, or a Socket Mode envelope's payload); None for types we do not handle.

    Args:
        data: The payload as parsed.
        sent_at: When Slack sent it (its signed timestamp; Socket Mode: when it arrived).
        retry: Whether Slack resent it (``X-Slack-Retry-Num``).

    Raises:
        ApprovalError: saying what is malformed.
    """
    if not isinstance(data, dict) or "type" not in data:
        raise ApprovalError("malformed Slack request: no form field 'payload' with a JSON object with a 'type' "
                            "(Slack sends payload=<JSON>)")
    if data["type"] != "block_actions":
        return None
    payload = _validated(BlockActions, data, "Slack payload")
    action = payload.actions[0]
    button = _validated(ButtonValue, _json(action.value), f"button value of {action.action_id!r}")
    answer = _answer(action.action_id, button, payload.user.id)
    channel = payload.container.channel_id if payload.container else None
    return Click(
        run_id=button.run, answer=answer, user=payload.user.id,
        channel=channel or (payload.channel.id if payload.channel else None),
        message_ts=payload.container.message_ts if payload.container else None,
        at=sent_at, retry=retry,
    )


def _answer(action_id: str, button: ButtonValue, user: str) -> Answer:
    if action_id == "save_only":
        return Answer(verdict="reject", choice=None, approver=user, note=SAVED_ONLY)
    if action_id == "reject":
        return Answer(verdict="reject", choice=None, approver=user)
    if action_id.startswith("run_") and button.choice is not None and action_id == f"run_{button.choice}":
        return Answer(verdict="approve", choice=button.choice, approver=user)
    raise ApprovalError(
        f"malformed Slack payload: action {action_id[:40]!r} with choice {button.choice} is not one of "
        "run_<N> (with choice N), save_only, reject"
    )


def _json(text: str) -> object:
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return text  # validation then says what it expected


def _validated(model: type[M], data: object, what: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        raise ApprovalError(f"malformed {what}: {where}: {err['msg']}") from None
