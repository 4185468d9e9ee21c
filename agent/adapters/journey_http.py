"""The user-journey probe's HTTP GET (stdlib urllib): one request, bounded in time and size.

A direct connection (no proxy from the environment), no redirects followed (a 3xx is an answer),
at most ``MAX_BODY`` bytes read. Never raises: no answer is ``(None, why)``.
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from typing import Any

MAX_BODY = 64 * 1024  # a page is read (as a browser would) but never kept


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def fetch(url: str, timeout_s: float) -> tuple[int | None, str | None]:
    """GET ``url``: (HTTP status, None), or (None, why there was no answer)."""
    request = urllib.request.Request(url, headers={"User-Agent": "chaos-advisor-journey/1"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())  # cheap: no connection kept
    try:
        with opener.open(request, timeout=timeout_s) as response:
            response.read(MAX_BODY)
            return int(response.status), None
    except urllib.error.HTTPError as e:  # an answer: 4xx/5xx (and 3xx, not followed)
        e.close()
        return int(e.code), None
    except (urllib.error.URLError, OSError, socket.timeout, ValueError) as e:
        reason = getattr(e, "reason", e)
        return None, f"{type(reason).__name__}: {reason}"
