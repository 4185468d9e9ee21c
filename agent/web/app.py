"""The console's Starlette application: pages rendered with Jinja templates, forms guarded by
:mod:`agent.web.auth`, a run's signals streamed by :mod:`agent.web.live`, ``/metrics`` and
``/healthz``. Reads go through :class:`agent.web.console.WebConsole`, writes through
:class:`agent.web.actions.Actions`: the same functions as the CLI.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from agent.cli.listing import parse_since
from agent.config import Settings
from agent.errors import ApprovalError, ChaosAdvisorError
from agent.web import auth
from agent.web.actions import Actions
from agent.web.console import WebConsole
from agent.web.history import FORMULA, history
from agent.web.live import stream
from agent.web.metrics import CONTENT_TYPE, exposition
from agent.web.render import call_graph, markdown_parser, report_html

HERE = Path(__file__).parent
MAX_FORM_BYTES = 16 * 1024  # a form here is a choice and a note
MAX_NOTE_CHARS = 500
MAX_SUGGESTED = 20  # suggest --count's ceiling
HEADERS = {  # every page: scripts only from here (no inline), never framed
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class Pages:
    """The routes' handlers over one console and its actions."""

    def __init__(self, console: WebConsole, actions: Actions) -> None:
        self.console, self.actions, self.settings = console, actions, console.settings
        self.templates = Jinja2Templates(directory=HERE / "templates")
        self.markdown = markdown_parser()
        self.mermaid = self.settings.path(self.settings.web.mermaid_js)
        self.metrics = exposition(console, actions.busy)

    def page(self, request: Request, name: str, status_code: int = 200, **context: object) -> Response:
        flash = request.session.pop("flash", None)
        return self.templates.TemplateResponse(request, name, {
            "user": auth.user(request, self.settings), "csrf": auth.csrf_token(request), "flash": flash,
            "mermaid": self.mermaid.is_file(), "proxy": self.settings.web.trust_proxy_header, **context,
        }, status_code=status_code, headers=HEADERS)

    def error(self, request: Request, e: Exception) -> Response:
        status = 403 if isinstance(e, auth.Forbidden) else 404 if "no run" in str(e) else 400
        return self.page(request, "error.html", status_code=status, message=str(e))

    # --- reads ------------------------------------------------------------------------------

    async def runs(self, request: Request) -> Response:
        state, service = request.query_params.get("state", ""), request.query_params.get("service", "")
        since = request.query_params.get("since", "")
        try:
            after = parse_since(since, now=datetime.now(UTC)) if since else None
            rows = await run_in_threadpool(self.console.runs, state=state or None, service=service or None, since=after)
        except (ValueError, ChaosAdvisorError) as e:
            return self.error(request, e)
        return self.page(request, "runs.html", rows=rows, state=state, service=service, since=since)

    async def run(self, request: Request) -> Response:
        run_id = request.path_params["run_id"]
        try:
            status = await run_in_threadpool(self.console.status, run_id)
            pending = await run_in_threadpool(self.console.pending, run_id)
        except ChaosAdvisorError as e:
            return self.error(request, e)
        result = await run_in_threadpool(self.console.result, status.report_path)
        return self.page(request, "run.html", run=status, pending=pending, result=result)

    async def live(self, request: Request) -> Response:
        run_id = request.path_params["run_id"]
        seen = request.headers.get("last-event-id", "")  # a reconnecting EventSource resumes after it
        after = int(seen) if seen.isdigit() else -1
        frames = stream(self.console, run_id, after_tick=after, run_sync=run_in_threadpool, pause=asyncio.sleep,
                        gone=request.is_disconnected)
        return StreamingResponse(frames, media_type="text/event-stream", headers={"Cache-Control": "no-store"})

    async def suggestions(self, request: Request) -> Response:
        raw = request.query_params.get("count", "3")
        try:
            if not raw.isdigit() or not 1 <= int(raw) <= MAX_SUGGESTED:
                raise ChaosAdvisorError(f"count {raw[:20]!r}: give a number from 1 to {MAX_SUGGESTED}")
            found = await run_in_threadpool(self.console.suggestions, int(raw))
        except ChaosAdvisorError as e:
            return self.error(request, e)
        return self.page(request, "suggestions.html", found=found, count=int(raw))

    async def approvals(self, request: Request) -> Response:
        return self.page(request, "approvals.html", pending=await run_in_threadpool(self.console.approvals))

    async def report(self, request: Request) -> Response:
        run_id = request.path_params["run_id"]
        try:
            path, text = await run_in_threadpool(self.console.report, run_id)
        except ChaosAdvisorError as e:
            return self.error(request, e)
        return self.page(request, "report.html", run_id=run_id, path=path, body=report_html(text, self.markdown))

    async def audit(self, request: Request) -> Response:
        run_id = request.query_params.get("run", "")
        entries = await run_in_threadpool(self.console.audit, run_id or None)
        return self.page(request, "audit.html", entries=entries, run_id=run_id)

    async def inventory(self, request: Request) -> Response:
        try:
            inv = await run_in_threadpool(self.console.inventory)
        except ChaosAdvisorError as e:
            return self.error(request, e)
        return self.page(request, "inventory.html", inv=inv, graph=call_graph(inv))

    async def history(self, request: Request) -> Response:
        rows = await run_in_threadpool(self.console.runs)
        return self.page(request, "history.html", services=history(rows), formula=FORMULA)

    async def metrics_text(self, request: Request) -> Response:
        return Response(await run_in_threadpool(self.metrics), media_type=CONTENT_TYPE)

    async def mermaid_js(self, request: Request) -> Response:
        if not self.mermaid.is_file():
            return PlainTextResponse("no local mermaid.min.js (web.mermaid_js)", status_code=404)
        return FileResponse(self.mermaid, media_type="text/javascript")

    # --- writes -----------------------------------------------------------------------------

    async def login_form(self, request: Request) -> Response:
        return self.page(request, "login.html", token_on=self.settings.web.token is not None)

    async def login(self, request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=8, max_part_size=MAX_FORM_BYTES)
        try:
            auth.check_csrf(request, form.get("csrf"))
            auth.sign_in(request, self.settings, name=str(form.get("name", "")), token=str(form.get("token", "")))
        except auth.Forbidden as e:
            return self.page(request, "login.html", status_code=403, message=str(e), token_on=self.settings.web.token is not None)
        return self.redirect(request, str(form.get("next") or "/runs"), ("ok", "signed in"))

    async def logout(self, request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=4, max_part_size=MAX_FORM_BYTES)
        try:
            auth.check_csrf(request, form.get("csrf"))
        except auth.Forbidden as e:
            return self.error(request, e)
        auth.sign_out(request)
        return RedirectResponse("/runs", status_code=303)

    async def decide(self, request: Request) -> Response:
        run_id = request.path_params["run_id"]
        form = await request.form(max_files=0, max_fields=8, max_part_size=MAX_FORM_BYTES)
        try:
            who = auth.writer(request, self.settings, form.get("csrf"))
            verdict = str(form.get("verdict", ""))
            if verdict not in ("approve", "reject"):
                raise ApprovalError(f"verdict {verdict[:20]!r}: give approve or reject")
            choice = _choice(form.get("choice")) if verdict == "approve" else None
            note = str(form.get("note", ""))[:MAX_NOTE_CHARS]
            interrupt_id = str(form.get("interrupt_id", ""))
            if not interrupt_id:
                raise ApprovalError("the form names no approval request; reload the approvals page")
            done = await run_in_threadpool(lambda: self.actions.decide(
                run_id, verdict="approve" if verdict == "approve" else "reject", choice=choice, note=note,
                user=who, interrupt_id=interrupt_id))
        except (auth.Forbidden, ChaosAdvisorError) as e:
            return self.error(request, e)
        return self.redirect(request, f"/runs/{run_id}", ("ok" if done.accepted else "error", done.message))

    async def abort(self, request: Request) -> Response:
        run_id = request.path_params["run_id"]
        form = await request.form(max_files=0, max_fields=4, max_part_size=MAX_FORM_BYTES)
        try:
            who = auth.writer(request, self.settings, form.get("csrf"))
            detail = await run_in_threadpool(lambda: self.actions.abort(run_id, user=who))
        except (auth.Forbidden, ChaosAdvisorError) as e:
            return self.error(request, e)
        return self.redirect(request, f"/runs/{run_id}", ("ok", f"abort: {detail}"))

    def redirect(self, request: Request, to: str, flash: tuple[str, str]) -> Response:
        request.session["flash"] = list(flash)
        safe = to if to.startswith("/") and not to.startswith("//") else "/runs"  # never off-site
        return RedirectResponse(safe, status_code=303)


def _choice(raw: object) -> int:
    text = str(raw or "")
    if not text.isdigit() or not 1 <= int(text) <= 100:
        raise ApprovalError(f"choice {text[:20]!r}: pick one of the candidates shown")
    return int(text)


def build_app(settings: Settings, console: WebConsole, actions: Actions) -> Starlette:
    """The console's application. On shutdown, runs executing here stop their chaos and report."""
    import secrets

    pages = Pages(console, actions)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:  # read every run's row once now (~0.3 s for 1,000), so no page waits for that read
            await run_in_threadpool(console.listing.rows)
        except ChaosAdvisorError:
            pass  # the state store is not readable yet: the runs page says why when asked
        yield
        await run_in_threadpool(actions.shutdown)

    secret = settings.web.session_secret.get_secret_value() if settings.web.session_secret else secrets.token_urlsafe(32)
    routes = [
        Route("/", lambda r: RedirectResponse("/runs")),
        Route("/healthz", lambda r: PlainTextResponse("ok")),
        Route("/metrics", pages.metrics_text),
        Route("/runs", pages.runs),
        Route("/runs/{run_id}", pages.run),
        Route("/runs/{run_id}/live", pages.live),
        Route("/runs/{run_id}/report", pages.report),
        Route("/runs/{run_id}/abort", pages.abort, methods=["POST"]),
        Route("/suggestions", pages.suggestions),
        Route("/approvals", pages.approvals),
        Route("/approvals/{run_id}", pages.decide, methods=["POST"]),
        Route("/audit", pages.audit),
        Route("/inventory", pages.inventory),
        Route("/history", pages.history),
        Route("/login", pages.login_form),
        Route("/login", pages.login, methods=["POST"]),
        Route("/logout", pages.logout, methods=["POST"]),
        Route("/static/mermaid.min.js", pages.mermaid_js),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [
        Middleware(SessionMiddleware, secret_key=secret, session_cookie="chaos_advisor_session", same_site="strict",
                   max_age=12 * 3600),
    ]
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
