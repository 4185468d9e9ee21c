"""``init``: write a commented stack.yaml from the live cluster (or ``--twin --manifests FILE``).

A user reviews what discovery inferred (services, tiers, criticality, calls, each with where it
came from) and a cautious policy, then edits it; re-running ``init`` keeps those edits. Nothing
is written when discovery finds nothing to advise on, or when a namespace is not allowed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from agent.cli.common import DEFAULT_CONFIG, ConfigOpt, ManifestsOpt, TwinOpt, cluster_binding, console
from agent.cli.design import nothing_left_on_failure
from agent.cli.output import Format, FormatOpt

if TYPE_CHECKING:
    from agent.config import Policy, Settings
    from agent.inventory.stackfile import Raw

NamespaceOpt = Annotated[
    list[str] | None,
    typer.Option("--namespace", "-n", help="A namespace of your application (repeat the option)."),
]


def init(
    config: ConfigOpt = DEFAULT_CONFIG,
    namespace: NamespaceOpt = None,
    twin: TwinOpt = False,
    manifests: ManifestsOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would be written; write nothing.")] = False,
    output_format: FormatOpt = Format.TABLE,
) -> None:
    """Draft stack.yaml (--config) from what runs in the namespaces: review it, edit it, re-run to add new services."""
    from agent.cli.output import emit
    from agent.inventory.checks import require_workloads
    from agent.inventory.discovery import discover
    from agent.inventory.stackfile import draft, render
    from agent.wiring import open_deps

    binding = cluster_binding(twin, manifests)  # a bad --manifests is refused before anything is read
    existing, settings = _existing(config)
    namespaces, where = (list(namespace), "--namespace") if namespace else _namespaces(existing, manifests, twin)
    namespaces = list(dict.fromkeys([*settings.k8s.namespaces, *namespaces])) if existing else namespaces
    settings = settings.model_copy(update={"k8s": settings.k8s.model_copy(update={"namespaces": namespaces}),
                                           "policy": _policy(existing is not None, settings, namespaces, where)})
    with nothing_left_on_failure(settings):
        with open_deps(settings, binding, console=console) as deps:
            inv = discover(deps)
            at = deps.clock.now()
        require_workloads(inv, namespaces)  # services of the file that no longer run are dropped, and said so
    stack = draft(inv, namespaces, existing)
    text = render(stack, at=at)
    if not dry_run:
        _write(config, text)
    if output_format != Format.TABLE:
        emit(stack, output_format)
    elif dry_run:
        typer.echo(text, nl=False)
    else:
        _summary(config, stack.added, [s.entry["name"] for s in stack.services if s.kept], stack.dropped,
                 len(stack.dependencies))


def _policy(existing: bool, settings: Settings, namespaces: list[str], where: str) -> Policy:
    """The file's policy, or the cautious default for these namespaces; either must allow them,
    and the default never covers a system namespace."""
    from agent.config import Policy
    from agent.errors import SpecRejected
    from agent.inventory.checks import SYSTEM_NAMESPACES, require_allowed
    from agent.inventory.stackfile import default_policy

    system = [n for n in namespaces if n in SYSTEM_NAMESPACES]
    if system and not existing:
        raise SpecRejected("policy.namespaces", f"{system[0]!r} is a system namespace: init drafts no policy for it "
                           "(list it in policy.namespaces of an existing stack.yaml to opt in)")
    policy = settings.policy if existing else Policy.model_validate(default_policy(namespaces))
    require_allowed(namespaces, policy, where=where)
    return policy


def _existing(config: Path) -> tuple[Raw | None, Settings]:
    """The stack.yaml already there (validated, and as written), or defaults beside it."""
    import yaml
    from pydantic import JsonValue, TypeAdapter, ValidationError

    from agent.config import Settings, load_settings
    from agent.config.files import FileRefused, read_text
    from agent.config.loader import MAX_CONFIG_BYTES
    from agent.errors import ConfigError

    if not config.exists():
        return None, Settings(base_dir=config.resolve().parent)
    settings = load_settings(config)  # a broken file is a ConfigError naming the field, as everywhere
    try:
        raw = yaml.safe_load(read_text(config, limit=MAX_CONFIG_BYTES, limit_name="the limit for stack.yaml"))
        return TypeAdapter(dict[str, JsonValue]).validate_python(raw or {}), settings
    except (FileRefused, ValidationError):
        raise ConfigError(f"{config}: cannot keep its contents (not plain YAML data); fix it or pass another --config") from None


def _namespaces(existing: Raw | None, manifests: list[Path] | None, twin: bool) -> tuple[list[str], str]:
    """Where to look when --namespace is not given, and where that came from: the file's
    k8s.namespaces, the manifests' namespaces, the Sock Shop twin's; a live cluster must be told."""
    import yaml

    from agent.errors import ChaosAdvisorError

    k8s = existing.get("k8s") if existing else None
    written = k8s.get("namespaces") if isinstance(k8s, dict) else None
    if isinstance(written, list) and written:
        return [str(n) for n in written], "k8s.namespaces"
    if manifests:
        found: list[str] = []
        for path in manifests:
            for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
                if isinstance(doc, dict) and doc.get("kind") in ("Deployment", "StatefulSet", "DaemonSet"):
                    ns = str((doc.get("metadata") or {}).get("namespace") or "default")
                    found += [ns] if ns not in found else []
        if found:
            return found, "the namespaces of --manifests"
    if twin and not manifests:
        return ["sock-shop"], "the Sock Shop twin"
    raise ChaosAdvisorError("init: name the namespace(s) of your application: init --namespace NS [--namespace NS2]")


def _write(config: Path, text: str) -> None:
    """Write beside, check that it loads, then replace: a file that would not load is never left."""
    from agent.config import load_settings
    from agent.errors import ChaosAdvisorError, ConfigError

    tmp = config.with_name(f".{config.name}.init")
    try:
        tmp.write_text(text, encoding="utf-8")
        load_settings(tmp)
        os.replace(tmp, config)
    except OSError as e:
        raise ChaosAdvisorError(f"cannot write {config} ({e.strerror}); pass --config FILE in a writable place") from None
    except ConfigError as e:
        raise ChaosAdvisorError(f"init drafted a stack.yaml that does not load ({e}); nothing was written") from None
    finally:
        tmp.unlink(missing_ok=True)


def _summary(config: Path, added: list[str], kept: list[object], dropped: list[str], calls: int) -> None:
    console.print(f"wrote {config}: {len(added)} service(s) discovered, {len(kept)} kept as you wrote them, "
                  f"{calls} inferred call(s) added", highlight=False)
    if added:
        console.print(f"  new: {', '.join(added)}", highlight=False)
    if dropped:
        console.print(f"  dropped (no longer running): {', '.join(dropped)}", highlight=False)
    console.print("Review it (each inferred fact says where it came from), then: python -m agent suggest", highlight=False)
