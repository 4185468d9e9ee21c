"""Request routing: the Kubernetes API subset, the twin's own `/twin/v1` endpoints and the
Prometheus exposition under `/metrics` (see `exposition`).

Every request first lets the operator catch up with the virtual clock (`reconcile`), then is
answered; a write reconciles again at once, so a new ChaosEngine is already initialized when
the client reads it back. Errors leave as `Status` objects with the API server's codes; what
kube-apiserver refuses before touching an object (media types, options, preconditions) is
checked, and listed with its upstream source, in `refusals`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, TypedDict

from twin import (
    access,
    crud,
    errors,
    exposition,
    frontend,
    kube_state,
    litmus_install,
    litmus_launch,
    openapi,
    refusals,
    resources,
)
from twin.errors import ApiError
from twin.model import signals
from twin.operator import reconcile
from twin.resources import Resource
from twin.state import State, okey
from twin.store import Transaction
from twin.tables import to_table, wants_table

JSON = "application/json"


@dataclass(frozen=True)
class Request:
    """An HTTP request, reduced to what routing needs."""

    method: str
    path: str
    query: dict[str, str]
    content_type: str = JSON
    accept: str = JSON
    body: bytes = b""
    speed: float | None = None  # the answering server's virtual seconds per real second
    operator: bool = True  # False while the emulated Litmus operator is down (pause_operator)
    without: frozenset[str] = frozenset()  # pieces the twin was started without (litmus_install)
    wall_s: float | None = None  # wall clock at arrival (epoch s): cAdvisor's sample timestamps


@dataclass(frozen=True)
class Response:
    """A status code and a JSON-able body (or text for health checks)."""

    code: int
    body: Any
    content_type: str = JSON


@dataclass(frozen=True)
class Target:
    """A resolved resource path."""

    resource: Resource
    namespace: str | None
    name: str | None
    read_only: bool = False


def handle(tx: Transaction, request: Request) -> Response:
    """Answer one request against the state in `tx`; marks it dirty when anything changed."""
    state = tx.state
    tx.dirty |= reconcile(state, state.now, operator=request.operator)
    try:
        response, mutated = _route(state, request)
    except ApiError as error:
        return Response(error.code, error.status())
    if mutated:
        reconcile(state, state.now, operator=request.operator)
        tx.dirty = True
    return response


def _json_body(request: Request) -> Any:
    if not request.body:
        return None
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as error:
        raise errors.bad_request(f"the request body is not valid JSON: {error}") from error


def _route(state: State, request: Request) -> tuple[Response, bool]:
    parts = [p for p in request.path.split("/") if p]
    if litmus_install.withheld(state, request.without, parts):
        raise errors.path_not_found()
    if parts == access.PATH and request.method == "POST":
        allowed = "rbac" not in request.without
        return Response(201, access.review(_json_body(request), allowed=allowed)), False
    if parts == ["version"]:
        return Response(200, resources.version_info()), False
    if parts in (["healthz"], ["livez"], ["readyz"]):
        return Response(200, "ok", "text/plain"), False
    if parts[:2] == ["twin", "v1"]:
        return _twin(state, request, parts[2:])
    if tuple(parts) == kube_state.PATH and request.method == "GET":
        return Response(200, kube_state.scrape(state), exposition.CONTENT_TYPE), False
    if parts[:1] == ["metrics"] and request.method == "GET":
        scraped = exposition.scrape(state, parts[1:], speed=request.speed, wall_s=request.wall_s)
        if scraped is None:
            raise errors.path_not_found()
        return Response(200, scraped.body, scraped.content_type), scraped.changed
    if parts[:2] == ["openapi", "v3"]:
        document = openapi.root() if len(parts) == 2 else openapi.group_version(
            "/".join(parts[2:]))
        if document is None:
            raise errors.path_not_found()
        return Response(200, document), False
    if frontend.is_proxy(parts):
        code, text = frontend.proxy(state, request.method, parts)
        return Response(code, text, "text/plain; charset=utf-8"), False
    if parts[:1] == ["api"]:
        if len(parts) == 1:
            return Response(200, resources.api_versions()), False
        return _group_version(state, request, "", parts[1], parts[2:])
    if parts[:1] == ["apis"]:
        if len(parts) == 1:
            return Response(200, litmus_install.served_groups(state, resources.api_group_list())), False
        if len(parts) == 2:
            group = resources.api_group(parts[1])
            if group is None:
                raise errors.path_not_found()
            return Response(200, group), False
        return _group_version(state, request, parts[1], parts[2], parts[3:])
    raise errors.path_not_found()


def _resolve(group: str, version: str, rest: list[str]) -> Target:
    namespace = None
    if rest[0] == "namespaces" and len(rest) >= 3:
        candidate = resources.find(group, version, rest[2])
        if candidate is not None and candidate.namespaced:
            namespace, rest = rest[1], rest[2:]
    resource = resources.find(group, version, rest[0])
    if resource is None or (namespace is not None and not resource.namespaced):
        raise errors.path_not_found()
    # built-in kinds serve GET .../status; the Litmus CRDs declare no status subresource
    status_read = len(rest) == 3 and rest[2] == "status" and not resource.custom
    if len(rest) > 2 and not status_read:
        raise errors.path_not_found()
    name = rest[1] if len(rest) > 1 else None
    if resource.namespaced and name is not None and namespace is None:
        raise errors.path_not_found()
    return Target(resource, namespace, name, read_only=status_read)


def _group_version(state: State, request: Request, group: str, version: str,
                   rest: list[str]) -> tuple[Response, bool]:
    if not resources.served_group_version(group, version):
        raise errors.path_not_found()
    if not rest:
        return Response(200, resources.api_resource_list(group, version)), False
    target = _resolve(group, version, rest)
    verb = _verb(request.method, target)
    if not target.resource.allows(verb) or (target.read_only and verb != "get"):
        raise errors.method_not_allowed(request.method, target.resource.plural)
    refusals.check_accept(request.accept)
    if verb in ("get", "list"):
        return _read(state, request, target, verb), False
    body = refusals.body(verb, request.content_type, request.body)
    dry_run = refusals.dry_run(verb, request.query, body)
    ns, name, resource = target.namespace, target.name or "", target.resource
    if verb == "create":
        return Response(201, crud.create_object(state, resource, ns, body, dry_run=dry_run)), (
            not dry_run)
    if verb == "patch":
        obj = crud.patch_object(state, resource, ns, name, body, request.content_type,
                                dry_run=dry_run)
    elif verb == "update":
        obj = crud.replace_object(state, resource, ns, name, body, dry_run=dry_run)
    else:
        obj = crud.delete_object(state, resource, ns, name, dry_run=dry_run,
                                 preconditions=refusals.delete_preconditions(body, request.query))
    return Response(200, obj), not dry_run


def _verb(method: str, target: Target) -> str:
    verbs = {"GET": "get" if target.name else "list", "POST": "create" if not target.name else "",
             "PATCH": "patch", "PUT": "update", "DELETE": "delete"}
    verb = verbs.get(method, "")
    if not verb or (verb in ("patch", "update", "delete") and not target.name):
        raise errors.method_not_allowed(method, target.resource.plural)
    return verb


def _read(state: State, request: Request, target: Target, verb: str) -> Response:
    if request.query.get("watch") in ("true", "1"):
        raise errors.bad_request("watch is not supported by the twin; poll with list instead")
    if verb == "get":
        obj = crud.get_object(state, target.resource, target.namespace, target.name or "")
        if wants_table(request.accept):
            return Response(200, to_table(target.resource, [obj], state.now))
        return Response(200, obj)
    page = crud.list_objects(state, target.resource, target.namespace, request.query)
    if wants_table(request.accept):
        return Response(200, to_table(target.resource, page["items"], state.now,
                                      metadata=page["metadata"]))
    return Response(200, page)


def _twin(state: State, request: Request, rest: list[str]) -> tuple[Response, bool]:
    """The twin's own endpoints: virtual clock, signals, engine event log."""
    if rest == ["clock"] and request.method == "GET":
        return Response(200, {"now": state.now}), False
    if rest == ["clock", "advance"] and request.method == "POST":
        body = _json_body(request) or {}
        seconds = body.get("seconds") if isinstance(body, dict) else None
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
            raise errors.bad_request('clock advance needs {"seconds": <number >= 0>}')
        reconcile(state, state.now + float(seconds), operator=request.operator)
        return Response(200, {"now": state.now}), True
    if rest == ["signals"] and request.method == "GET":
        namespace = request.query.get("namespace") or "sock-shop"
        if okey("", namespace) not in state.bucket("core/v1/namespaces"):
            raise errors.not_found("namespaces", "", namespace)
        services = {name: asdict(s) for name, s in signals(state, namespace, state.now).items()}
        return Response(200, {"time": state.now, "namespace": namespace,
                              "services": services}), False
    if rest == ["litmus", "broken"]:  # every engine only pretends (twin.chaos_pods): the inconclusive path
        if request.method == "POST":
            body = _json_body(request) or {}
            flag = body.get("broken") if isinstance(body, dict) else None
            if not isinstance(flag, bool):
                raise errors.bad_request('litmus/broken needs {"broken": true|false}')
            state.broken_engines = flag
            return Response(200, {"broken": flag}), True
        return Response(200, {"broken": state.broken_engines}), False
    if rest == ["events"] and request.method == "GET":
        return Response(200, {"time": state.now, "events": _events(state, request.query)}), False
    if rest == ["litmus", "launch"]:  # the runner's and experiment pod's start-up (twin.litmus_launch)
        setting = request.method == "POST"
        try:
            return Response(200, litmus_launch.configure(state, _json_body(request) if setting else None)), setting
        except ValueError as e:
            raise errors.bad_request(str(e)) from e
    raise errors.path_not_found()


class EngineEvent(TypedDict):
    """One line of GET /twin/v1/events: an engine's log entry at virtual time `time`."""

    time: float
    namespace: str
    engine: str
    experiment: str
    message: str


def _events(state: State, query: dict[str, str]) -> list[EngineEvent]:
    namespace, engine = query.get("namespace"), query.get("engine")
    events: list[EngineEvent] = [{"time": e.t, "namespace": run.namespace, "engine": run.engine,
               "experiment": run.experiment, "message": e.message}
              for run in state.runs
              if namespace in (None, "", run.namespace) and engine in (None, "", run.engine)
              for e in run.events if e.t <= state.now]
    return sorted(events, key=lambda e: e["time"])
