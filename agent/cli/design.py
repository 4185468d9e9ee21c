"""CLI commands that look and advise: inventory, suggest, schema, twin."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from agent.cli.clusters import ContextOpt
from agent.cli.common import (
    DEFAULT_CONFIG,
    MAX_CANDIDATES,
    ConfigOpt,
    ManifestsOpt,
    TwinOpt,
    cluster_binding,
    console,
    load_config,
)
from agent.cli.doctor import WithoutOpt
from agent.cli.output import Format, FormatOpt

if TYPE_CHECKING:
    from agent.config import Settings


class SpecFormat(StrEnum):
    NATIVE = "native"
    SEED = "seed"


SpecFormatOpt = Annotated[SpecFormat, typer.Option("--format", help=(
    "The spec files' shape: native (python -m agent schema) or seed (the origin document's: label_selector, "
    "duration '60s', abort_threshold {metric, value, operator}; schema --dialect seed). run reads both."))]


@contextmanager
def nothing_left_on_failure(settings: Settings) -> Iterator[None]:
    """A refusal found by discovery (an empty namespace, a service that does not run) leaves no
    state behind, like one found in stack.yaml: the state directory goes again if this command made it."""
    state = settings.path(settings.paths.state_dir)
    missing = [p for p in (state, *state.parents) if not os.path.lexists(p)]
    try:
        yield
    except BaseException:
        if missing:
            shutil.rmtree(missing[-1], ignore_errors=True)
        raise


def inventory(
    config: ConfigOpt = DEFAULT_CONFIG, twin: TwinOpt = False, manifests: ManifestsOpt = None,
    output_format: FormatOpt = Format.TABLE, context: ContextOpt = None,
) -> None:
    """Discover the stack and print it: services by tier with what each fact was inferred from,
    and the calls between them with their evidence (every cluster of stack.yaml's clusters:, side by side)."""
    from agent.cli.clusters import chosen, discovered, reached, side_by_side, unreached_note
    from agent.cli.output import emit
    from agent.inventory.clusters import ClusterInventory, Clusters
    from agent.inventory.view import render_inventory

    settings = load_config(config)
    cluster_binding(twin, manifests)  # --manifests checked before anything is opened
    found, missed = reached(chosen(settings, context), lambda one: discovered(one, twin, manifests))
    if settings.clusters and not context:
        every = [ClusterInventory(cluster=str(one.cluster), context=one.k8s.context, inventory=i) for one, i in found]
        if output_format != Format.TABLE:
            emit(Clusters(clusters=every, unreached=missed), output_format)
        else:
            side_by_side(every)
        if missed:
            typer.echo(f"warning: {unreached_note(missed)}", err=True)  # stdout stays the inventory
        return
    inv = found[0][1]
    if output_format != Format.TABLE:
        emit(inv, output_format)
        return
    render_inventory(console, inv)


def suggest(
    config: ConfigOpt = DEFAULT_CONFIG,
    twin: TwinOpt = False,
    manifests: ManifestsOpt = None,
    count: Annotated[int, typer.Option("--count", "-n", min=1, max=MAX_CANDIDATES, help="How many experiments.")] = 3,
    output: Annotated[Path | None, typer.Option("--output", help="Save specs here (default: paths.experiments).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the suggestions; save nothing.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace spec files even where they were edited.")] = False,
    output_format: FormatOpt = Format.TABLE,
    spec_format: SpecFormatOpt = SpecFormat.NATIVE,
    context: ContextOpt = None,
) -> None:
    """Propose ranked, policy-checked experiments and save them as spec files (nothing runs); with
    stack.yaml's clusters:, ranked across every cluster, each spec naming its own."""
    from agent.cli.clusters import chosen, designed, ranked_across, reached, unreached_note
    from agent.cli.output import Suggestions, emit
    from agent.config.files import make_dirs, remove_dirs
    from agent.design.propose import save
    from agent.design.view import print_candidates
    from agent.errors import ChaosAdvisorError
    from agent.inventory.checks import require_allowed

    settings = load_config(config)
    cluster_binding(twin, manifests)  # --manifests checked before anything is opened
    targets = chosen(settings, context)
    for one in targets:  # every cluster's namespaces allowed by its policy before any is opened
        require_allowed(one.k8s.namespaces, one.policy)
    directory = output or settings.path(settings.paths.experiments)
    # Before the design, so a directory that cannot be made is known in a moment (and taken
    # back should the design fail: a failed command leaves nothing behind).
    made = make_dirs([(directory, "--output" if output else f"{config} paths.experiments")]) if not dry_run else []
    try:
        worked, missed = reached(targets, lambda one: designed(one, twin, manifests, count))
    except BaseException:
        remove_dirs(made)
        raise
    per_cluster = [r for _, r in worked]
    inv = per_cluster[0][0]
    result = per_cluster[0][1] if len(targets) == 1 else ranked_across([r for _, r in per_cluster], count,
                                                                       also=unreached_note(missed))
    inventories = {str(one.cluster): i for one, (i, _) in worked}
    candidates, kept = result.candidates, list[str]()
    if not dry_run:
        try:
            candidates, kept = save(candidates, directory, force=force, dialect=spec_format.value)
        except OSError as e:
            raise ChaosAdvisorError(f"cannot save the specs in {directory} ({e.strerror}); pass --output DIR") from None
    if output_format != Format.TABLE:
        emit(Suggestions(designer=result.proposal.designer, notice=result.proposal.notice, candidates=candidates,
                         rejected=result.rejected), output_format)
        return
    print_candidates(console, candidates, result.rejected, notice=result.proposal.notice, inventory=inv,
                     inventories=inventories if len(per_cluster) > 1 else None)
    for note in kept:
        console.print(f"[yellow]note:[/yellow] {note}", highlight=False)
    if dry_run:
        console.print("dry run: nothing saved")


def schema() -> None:
    """Print the JSON Schema of an experiment spec (the files `suggest` saves and `run` takes)."""
    import json

    from agent.models import ExperimentSpec

    typer.echo(json.dumps(ExperimentSpec.model_json_schema(), indent=2))


def twin(
    config: ConfigOpt = DEFAULT_CONFIG,
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port on 127.0.0.1 (0 = any free one).")] = 8001,
    manifests: ManifestsOpt = None,
    speed: Annotated[float | None, typer.Option("--speed", help="Advance the virtual clock at this many x real time.")] = None,
    without: WithoutOpt = None,
    chaos_mesh: Annotated[bool, typer.Option("--chaos-mesh", help="Install Chaos Mesh 2.8 too (its CRDs; the twin "
                                             "emulates its controller).")] = False,
) -> None:
    """Serve the Sock Shop twin's Kubernetes API until Ctrl-C (kubectl --server URL works).

    With --without, a cluster lacking that piece, in its own state file (try doctor on it).
    """
    import threading

    from agent.wiring import prepare_twin, twin_state_path
    from twin import TwinServer
    from twin.litmus_install import without_state

    settings = load_config(config)
    binding = cluster_binding(True, manifests)
    paths = prepare_twin(settings, binding)
    lacking = [str(p) for p in without or []]
    state = without_state(twin_state_path(settings, binding), lacking)
    with TwinServer(state, manifests=paths, port=port, seed=settings.twin.seed, speed=speed, without=lacking,
                     chaos_mesh=chaos_mesh) as server:
        console.print(f"Sock Shop twin at {server.url}" + (f" without {', '.join(sorted(set(lacking)))}" if lacking else "")
                      + f"\n  kubectl --server {server.url} get pods -n sock-shop")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            console.print("stopped")
