"""slack-bolt owns the Slack side: one :class:`slack_bolt.App` with the approval buttons' action,
the ``/craterctl`` command and the middleware that turns Slack's payloads into typed requests.
The listeners only translate; who may do what, and what happens, is ``agent.slack``::

    HTTP: signature and age ok (SlackSignature)? ── no ──▶ 401, nothing changes
          Bolt can parse the body? ─────────────── no ──▶ 400 saying what is wrong
    (Socket Mode: the WebSocket is the app-level token's; Slack signs nothing there)
    middleware: a button click that parses? ── no ──▶ 400 saying what is wrong, nothing changes
    ack (within Slack's 3 s, process_before_response): "" or why not / "working…"
    lazy listener, in :class:`agent.slack.workers.Workers`: Decisions.answer / Commands.run

The signature is checked before Bolt parses anything, with slack-sdk's ``SignatureVerifier``
(the one Bolt's RequestVerification uses, here with an injectable clock and a reason per
refusal), so an unsigned body is never decoded. Authorization is the one workspace of the bot
token (``authorize``): no ``auth.test`` round trip per process. Slack's retries and repeated
clicks are safe because the resume claims the pending interrupt (``graphs.runner.resume``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from slack_bolt import Ack, App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.middleware import Middleware
from slack_sdk import WebClient

from agent.adapters.slack_signature import SlackSignature
from agent.adapters.slack_web import SlackWeb
from agent.errors import ApprovalError
from agent.slack.clicks import Click, parse_click
from agent.slack.commands import Commands, SlashCommand, parse_command
from agent.slack.decisions import Decisions
from agent.slack.workers import Workers

ACTIONS = re.compile(r"^(run_[0-9]+|save_only|reject)$")  # what the approval message's buttons send
COMMAND = "/craterctl"


@dataclass(frozen=True)
class Reply:
    """The HTTP answer to one request."""

    status: int
    text: str
    content_type: str = "text/plain; charset=utf-8"


class SlackApp:
    """The Bolt app behind both listeners (HTTP and Socket Mode).

    Args:
        web: The Web API client; Bolt (and Socket Mode's ``apps.connections.open``) uses its
            WebClient, with the bot token of the one workspace the app is installed in.
        decisions: What a click decides.
        commands: What ``/craterctl`` does.
        signature: Checks HTTP requests (unused in Socket Mode).
        workers: Where the answers run after the ack.
        now: The wall clock, for when a Socket Mode click arrived (HTTP ones carry Slack's stamp).
    """

    def __init__(self, *, web: SlackWeb, decisions: Decisions, commands: Commands,
                 signature: SlackSignature | None, workers: Workers,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.workers, self._signature, self._now = workers, signature, now
        self._decisions, self._commands = decisions, commands
        token, c = web.client.token, web.client
        self.app = App(  # its client has no token of its own: each request gets the bot token from authorize
            client=WebClient(base_url=c.base_url, timeout=c.timeout, retry_handlers=c.retry_handlers),
            authorize=lambda **_: AuthorizeResult(enterprise_id=None, team_id=None, bot_token=token),
            request_verification_enabled=False,  # checked in handle(), before Bolt parses the body
            token_verification_enabled=False,
            ignoring_self_events_enabled=False,  # no events subscribed; it would need the bot's user id
            process_before_response=True,  # ack first, then the lazy listeners in our workers
            listener_executor=workers,
        )
        self.app.use(_Classify(self._classify))  # a Middleware object: Bolt injects no kwargs (it would
        # build them from the unchecked payload first, e.g. actions[0] of an empty list)
        self.app.action(ACTIONS)(ack=self._ack_click, lazy=[self._answer_click])
        self.app.command(COMMAND)(ack=self._ack_command, lazy=[self._run_command])

    def handle(self, body: bytes, headers: Mapping[str, str]) -> Reply:
        """Answer one HTTP request at once (any resume happens afterwards in a worker).

        Args:
            body: The raw request body, as Slack signed it.
            headers: The request headers, any case.
        """
        h: dict[str, str | Sequence[str]] = {k.lower(): v for k, v in headers.items()}
        assert self._signature is not None, "HTTP mode needs the signing secret"
        problem = self._signature.problem(body, headers_get(h, "x-slack-request-timestamp"), headers_get(h, "x-slack-signature"))
        if problem is not None:
            return Reply(401, f"{problem}; nothing changed")
        try:
            request = BoltRequest(body=body.decode("utf-8"), headers=h)
        except UnicodeDecodeError:
            return Reply(400, "malformed Slack request: the body is not UTF-8 form data; nothing changed")
        except json.JSONDecodeError as e:
            return Reply(400, f"malformed Slack payload: not JSON ({e.msg} at character {e.pos}); nothing changed")
        except (ValueError, TypeError, AttributeError, RecursionError):  # valid JSON, but not an object
            return Reply(400, "malformed Slack payload: expected a JSON object with a 'type'; nothing changed")
        if not isinstance(request.body, dict):
            return Reply(400, "malformed Slack payload: expected a JSON object with a 'type'; nothing changed")
        response = self.app.dispatch(request)
        kind = (response.headers.get("content-type") or [Reply.content_type])[0]
        return Reply(response.status, response.body, kind)

    # --- middleware and listeners: translation only -------------------------------------------

    def _classify(self, request: BoltRequest, next: Callable[[], BoltResponse]) -> BoltResponse:
        """A slash command goes on as it is; anything else must be a button click that parses."""
        body, context = request.body, request.context
        if isinstance(body, dict) and "command" in body:
            if body["command"] != COMMAND:
                return BoltResponse(status=400, body=f"malformed Slack request: command {str(body['command'])[:40]!r} "
                                    f"is not {COMMAND}; nothing changed")
            try:
                context["slash"] = parse_command(body)
            except ApprovalError as e:
                context["slash_error"] = str(e)
            return next()
        try:
            # a retry: X-Slack-Retry-Num (HTTP) or the envelope's retry_attempt (Socket Mode, 0 the first time)
            retry = (headers_get(request.headers, "x-slack-retry-num") or "0") != "0"
            click = parse_click(body, sent_at=self._sent_at(request), retry=retry)
        except ApprovalError as e:
            return BoltResponse(status=400, body=f"{e}; nothing changed")
        if click is None:
            return BoltResponse(status=200, body="ignored: not a button click")
        context["click"] = click
        return next()

    def _ack_click(self, ack: Ack, context: BoltContext) -> None:
        click: Click = context["click"]
        refused = self._decisions.not_allowed(click)
        context["refused"] = refused
        if refused:
            ack(f"{refused}; nothing changed")
        else:
            ack()

    def _answer_click(self, context: BoltContext) -> None:
        click: Click = context["click"]
        refused: str | None = context.get("refused")
        if refused is not None:
            self._decisions.refuse(click, refused)
        else:
            self._decisions.answer(click)

    def _ack_command(self, ack: Ack, context: BoltContext) -> None:
        if "slash_error" in context:
            ack(f"{context['slash_error']}.\n{self._commands.working(_HELP)}")
            return
        cmd: SlashCommand = context["slash"]
        refused = self._commands.not_allowed(cmd)
        context["refused"] = refused
        ack(self._commands.refuse(cmd, refused) if refused else self._commands.working(cmd))

    def _run_command(self, context: BoltContext) -> None:
        if "slash_error" not in context and context.get("refused") is None:
            self._commands.run(context["slash"])

    def _sent_at(self, request: BoltRequest) -> datetime:
        stamp = (request.headers.get("x-slack-request-timestamp") or [""])[0]
        return datetime.fromtimestamp(int(stamp), UTC) if stamp.isdigit() else self._now()


_HELP = SlashCommand(verb="help", user="", channel="")


class _Classify(Middleware):
    def __init__(self, process: Callable[[BoltRequest, Callable[[], BoltResponse]], BoltResponse]) -> None:
        self._process = process

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:
        return self._process(req, next)


def headers_get(headers: Mapping[str, str | Sequence[str]], name: str) -> str | None:
    value = headers.get(name)
    return value if isinstance(value, str) or value is None else (value[0] if value else None)
