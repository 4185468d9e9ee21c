"""Who is at the console, and the guard on every form.

Reading needs no sign-in; every write does (no anonymous writes). A person is known either by
signing in with the configured token (``web.token``, env ``CHAOS_ADVISOR_WEB__TOKEN``) and a name
typed on the form, or, with ``web.trust_proxy_header``, by the header an authenticating proxy in
front sets: ``X-Forwarded-User`` (oauth2-proxy's ``--pass-user-headers``), else
``X-Auth-Request-User`` (its ``--set-xauthrequest``). Approving also needs ``web:<user>`` (or
``web:*``) in ``policy.approvers``: the run's approve step checks that, as for every channel.

Every form carries a CSRF token kept in the signed session cookie (Starlette's SessionMiddleware,
itsdangerous, ``SameSite=strict``); a POST without the session's token changes nothing (403).
"""

from __future__ import annotations

import hmac
import re
import secrets
from typing import TYPE_CHECKING

from agent.config import Settings

if TYPE_CHECKING:
    from starlette.requests import Request

PROXY_HEADERS = ("X-Forwarded-User", "X-Auth-Request-User")  # in this order
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")  # what a user name may be (it goes into the audit log)
MAX_TOKEN_CHARS = 512


class Forbidden(Exception):
    """A write the request may not make: not signed in, or a missing or wrong CSRF token."""


def user(request: Request, settings: Settings) -> str | None:
    """The signed-in user, or None: the proxy's header (when trusted), else the session's name."""
    if settings.web.trust_proxy_header:
        for header in PROXY_HEADERS:
            value = request.headers.get(header, "").strip()
            if value:
                return value if NAME.fullmatch(value) else None
        return None
    name = request.session.get("user")
    return name if isinstance(name, str) and NAME.fullmatch(name) else None


def sign_in(request: Request, settings: Settings, *, name: str, token: str) -> None:
    """Sign ``name`` in with ``token``; Forbidden (changing nothing) when either is wrong."""
    configured = settings.web.token.get_secret_value() if settings.web.token else ""
    if not configured:
        raise Forbidden("token sign-in is off: set web.token (env CHAOS_ADVISOR_WEB__TOKEN)"
                        + (" or sign in at your proxy" if settings.web.trust_proxy_header else ""))
    name = name.strip()
    if not NAME.fullmatch(name):
        raise Forbidden(f"name {name[:64]!r}: use 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit")
    if len(token) > MAX_TOKEN_CHARS or not hmac.compare_digest(token.encode(), configured.encode()):
        raise Forbidden("wrong token; nothing changed")
    request.session["user"] = name
    request.session["csrf"] = secrets.token_urlsafe(32)  # a new session, a new token


def sign_out(request: Request) -> None:
    request.session.clear()


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use); every form posts it back as ``csrf``."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, posted: object) -> None:
    """Forbidden unless ``posted`` is this session's CSRF token."""
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not isinstance(posted, str) or not hmac.compare_digest(posted.encode(), expected.encode()):
        raise Forbidden("the form's CSRF token is missing or stale; reload the page and try again")


def writer(request: Request, settings: Settings, posted_csrf: object) -> str:
    """The user a write is made as, after the CSRF check; Forbidden for anyone not signed in."""
    check_csrf(request, posted_csrf)
    who = user(request, settings)
    if who is None:
        raise Forbidden("sign in first: the console takes no anonymous writes")
    return who
