"""The Slack callback endpoint: Slack POSTs button clicks here (``python -m agent slack serve``).

It listens on 127.0.0.1 (put your tunnel or ingress in front) and answers a click like this::

    signature and age ok? ──── no ──▶ 401, nothing changes
    payload parses? ────────── no ──▶ 400 saying what is wrong, nothing changes
    clicker in policy.approvers (slack:<user id>)? ── no ──▶ 200 + an ephemeral "you may not"
    200 at once (Slack wants an answer within 3 s); then, in a worker thread:
      run waiting? ─────────── no ──▶ ephemeral "no longer waiting", nothing changes
      first answer here to (run, interrupt)? ── no ──▶ ephemeral "already answered"
      update the message (who, when) ─▶ Runs.resume(..., interrupt id) ─▶ update with the result

The buttons carry the run id and the candidate's rank only: the notify step runs before the
interrupt exists, so the pending interrupt id is read here (``Runs.waiting``) and handed to the
resume, which claims it atomically (``graphs.runner.resume``). A repeated click, a Slack retry
(``X-Slack-Retry-Num``) or a CLI answer racing this one therefore resumes the run once; a
retry's losing copy stays silent, since its first delivery already got its reply.

This module knows HTTP and Slack's payloads only; the graph (``Runs``), the Web API
(``Replies``) and the signature check (``Verifier``) come in as ports, built by the CLI.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Literal, Protocol, TypeVar
from urllib.parse import parse_qs, urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.config import Policy
from agent.errors import ApprovalError, ChaosAdvisorError, NotifierError
from agent.run.approval import allowed

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
PATH = "/slack/events"  # the Interactivity Request URL's path (Bolt's convention)
MAX_BODY = 256 * 1024  # Slack's interactive payloads are a few KB
SAVED_ONLY = "saved only"
M = TypeVar("M", bound=BaseModel)


# --- ports -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What a click decides; the run's own clock stamps the Decision."""

    verdict: Literal["approve", "reject"]
    choice: int | None  # 1-based rank when approving
    approver: str  # the Slack user id
    note: str = ""


@dataclass(frozen=True)
class Waiting:
    """Whether a run waits for an approval, and on which interrupt."""

    interrupt_id: str | None  # None: not waiting
    candidates: list[str]
    status: str  # the outcome, or "running" (e.g. "completed", "rejected")


@dataclass(frozen=True)
class Result:
    """Where a resumed run ended."""

    outcome: str
    reason: str | None = None
    report: str | None = None


class Runs(Protocol):
    """Paused runs, answered exactly once."""

    def waiting(self, run_id: str) -> Waiting:
        """Whether ``run_id`` waits; raises ApprovalError for an unknown run."""
        ...

    def resume(self, run_id: str, answer: Answer, *, interrupt_id: str) -> Result:
        """Answer ``interrupt_id`` and run on; ApprovalError (nothing changed) when it is not
        pending any more or another answer claimed it first."""
        ...


class Replies(Protocol):
    """What the endpoint says back in Slack."""

    def update(self, channel: str, ts: str, text: str, *, detail: str | None = None) -> None:
        """Replace the approval message (its buttons go away)."""
        ...

    def ephemeral(self, channel: str, user: str, text: str) -> None:
        """A reply only ``user`` sees."""
        ...


class Verifier(Protocol):
    def problem(self, body: bytes, timestamp: str | None, signature: str | None) -> str | None:
        """Why the request is not a fresh one from Slack, or None."""
        ...


# --- the payload -------------------------------------------------------------------------------


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

    model_config = ConfigDict(extra="forbid", frozen=True)

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


def parse_click(body: bytes, *, sent_at: datetime, retry: bool) -> Click | None:
    """The click in a form-encoded interactive request; None for payload types we do not handle.

    Raises ApprovalError saying what is malformed.
    """
    try:
        form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        raise ApprovalError("malformed Slack request: the body is not UTF-8 form data") from None
    if not form.get("payload"):
        raise ApprovalError("malformed Slack request: no form field 'payload' (Slack sends payload=<JSON>)")
    try:
        data = json.loads(form["payload"][0])
    except json.JSONDecodeError as e:
        raise ApprovalError(f"malformed Slack payload: not JSON ({e.msg} at character {e.pos})") from None
    except RecursionError:
        raise ApprovalError("malformed Slack payload: JSON nested too deeply") from None
    if not isinstance(data, dict) or "type" not in data:
        raise ApprovalError("malformed Slack payload: expected a JSON object with a 'type'")
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


# --- the endpoint ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    status: int
    text: str


class SlackEndpoint:
    """Turns signed requests into at most one resume per pending approval."""

    def __init__(self, *, verifier: Verifier, replies: Replies, runs: Runs, policy: Policy, workers: int = 8) -> None:
        self._verifier, self._replies, self._runs, self._policy = verifier, replies, runs, policy
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="slack-answer")
        self._taken: set[tuple[str, str]] = set()  # (run, interrupt) answered by this process
        self._lock = threading.Lock()
        self._busy = 0
        self._idle = threading.Condition()

    def handle(self, body: bytes, headers: Mapping[str, str]) -> Reply:
        """Answer one request at once; any resume happens afterwards in a worker."""
        h = {k.lower(): v for k, v in headers.items()}
        stamp = h.get("x-slack-request-timestamp")
        problem = self._verifier.problem(body, stamp, h.get("x-slack-signature"))
        if problem is not None:
            return Reply(401, f"{problem}; nothing changed")
        assert stamp is not None  # the verifier refuses requests without one
        try:
            click = parse_click(body, sent_at=datetime.fromtimestamp(int(stamp), UTC), retry="x-slack-retry-num" in h)
        except ApprovalError as e:
            return Reply(400, f"{e}; nothing changed")
        if click is None:
            return Reply(200, "ignored: not a button click")
        if not allowed(click.user, "slack", self._policy):
            self._submit(lambda: self._tell(click, (
                f"<@{click.user}>, you may not approve chaos runs: add \"slack:{click.user}\" to "
                "policy.approvers in stack.yaml. Nothing changed.")))
            return Reply(200, f"slack:{click.user} is not an approver; nothing changed")
        self._submit(lambda: self._answer(click))
        return Reply(200, "")

    def drain(self, timeout: float) -> bool:
        """Wait until no answer is in progress; False when ``timeout`` passed first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout=timeout)

    def close(self) -> None:
        """Finish the answers in progress (a resumed run runs to its end), then stop."""
        self._pool.shutdown(wait=True)

    def _submit(self, job: Callable[[], None]) -> None:
        with self._idle:
            self._busy += 1
        self._pool.submit(self._run, job)

    def _run(self, job: Callable[[], None]) -> None:
        try:
            job()
        except Exception:  # a worker's top level: log it and keep serving the next clicks
            log.exception("answering a Slack click failed")
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()

    def _answer(self, click: Click) -> None:
        try:
            waiting = self._runs.waiting(click.run_id)
        except ApprovalError as e:
            self._tell(click, f"{_esc(str(e))}.")
            return
        iid = waiting.interrupt_id
        if iid is None:
            self._tell(click, f"Run `{click.run_id}` is no longer waiting for approval (it is {waiting.status}); "
                       "nothing changed.", quiet_on_retry=True)
            return
        choice = click.answer.choice
        if choice is not None and choice > len(waiting.candidates):
            self._tell(click, f"Run `{click.run_id}` has no experiment {choice}; nothing changed.")
            return
        with self._lock:
            if (click.run_id, iid) in self._taken:
                self._tell(click, f"Run `{click.run_id}` was already answered; nothing changed.", quiet_on_retry=True)
                return
            self._taken.add((click.run_id, iid))
        self._resume(click, waiting, iid)

    def _resume(self, click: Click, waiting: Waiting, iid: str) -> None:
        what = decision_line(click, waiting.candidates)
        run = f"Run `{click.run_id}`"
        self._update(click, what, f"{run}: running now; progress in this thread." if click.answer.verdict == "approve"
                     else f"{run}: writing the report.")
        try:
            result = self._runs.resume(click.run_id, click.answer, interrupt_id=iid)
        except ChaosAdvisorError as e:
            with self._lock:
                self._taken.discard((click.run_id, iid))  # the run's own claim still guards it
            if isinstance(e, ApprovalError):  # nothing changed: e.g. a CLI answer came first
                self._update(click, f"⚠️ <@{click.user}>'s answer was not applied: {_esc(str(e))}")
                self._tell(click, _esc(str(e)))
            else:
                self._update(click, what, _esc(f"{run} stopped with an error: {e}; see: python -m agent status {click.run_id}"))
            return
        detail = f"{run} {result.outcome}" + (f": {result.reason}" if result.reason else "")
        detail += f" • Report: `{result.report}`" if result.report else ""
        self._update(click, what, _esc(detail))

    def _update(self, click: Click, text: str, detail: str | None = None) -> None:
        if click.channel is None or click.message_ts is None:
            return
        try:
            self._replies.update(click.channel, click.message_ts, text, detail=detail)
        except NotifierError as e:
            log.warning("could not update the approval message: %s", e)

    def _tell(self, click: Click, text: str, *, quiet_on_retry: bool = False) -> None:
        if click.channel is None or (quiet_on_retry and click.retry):
            return
        try:
            self._replies.ephemeral(click.channel, click.user, text)
        except NotifierError as e:
            log.warning("could not reply to %s: %s", click.user, e)


def decision_line(click: Click, candidates: list[str]) -> str:
    """Who decided what, and when, for the approval message."""
    who = f"<@{click.user}> at {click.at:%Y-%m-%d %H:%M:%S} UTC"
    a = click.answer
    if a.verdict == "approve" and a.choice is not None:
        return f"✅ *Run {_esc(candidates[a.choice - 1])}* approved by {who}"
    if a.note == SAVED_ONLY:
        return f"💾 Saved only by {who}: the specs stay in experiments/, nothing runs"
    return f"❌ Rejected by {who}: nothing runs"


def _esc(text: str) -> str:
    """Run data as text, never as Slack markup (``<!channel>``, links)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- HTTP ----------------------------------------------------------------------------------------


class SlackCallbackServer:
    """Serves a :class:`SlackEndpoint` at ``http://HOST:PORT/slack/events`` from a thread
    (127.0.0.1 unless told otherwise: 0.0.0.0 in a pod, behind its Service)."""

    def __init__(self, endpoint: SlackEndpoint, *, port: int = 0, host: str = HOST) -> None:
        self.endpoint = endpoint
        self._host = host
        self._http = _HTTPServer((host, port), endpoint)
        self._thread = threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="slack-callback", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._http.server_address[1]}{PATH}"

    def __enter__(self) -> SlackCallbackServer:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join(timeout=5)
        self.endpoint.close()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # a burst of clicks must not overflow the listen backlog (default 5)

    def __init__(self, address: tuple[str, int], endpoint: SlackEndpoint) -> None:
        super().__init__(address, _Handler)
        self.endpoint = endpoint


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "chaos-advisor-slack/1"
    server: _HTTPServer

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s " + format, self.client_address[0], *args)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if urlsplit(self.path).path == "/healthz":
            return self._send(200, "ok")
        self._send(404, f"no route {self.path[:80]}; Slack posts to {PATH}")

    def do_POST(self) -> None:  # noqa: N802
        if urlsplit(self.path).path != PATH:
            return self._send(404, f"no route {self.path[:80]}; Slack posts to {PATH}")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return self._send(400, "bad Content-Length")
        if not 0 <= length <= MAX_BODY:
            return self._send(413, f"body over {MAX_BODY} bytes; nothing changed")
        reply = self.server.endpoint.handle(self.rfile.read(length), dict(self.headers.items()))
        self._send(reply.status, reply.text)

    def _send(self, status: int, text: str) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
