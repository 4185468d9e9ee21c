"""``python -m agent manifests``: the Kubernetes objects that run the agent in a cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from agent.cli.common import DEFAULT_CONFIG, ConfigOpt, console, load_config


def manifests(
    config: ConfigOpt = DEFAULT_CONFIG,
    image: Annotated[str | None, typer.Option("--image", help="The agent's container image [default: chaos-advisor:0.1.0].")] = None,
    output_dir: Annotated[Path | None, typer.Option("--output-dir", "-o", help="Write deploy/'s files here instead of printing.")] = None,
) -> None:
    """Print the install manifests as YAML (pipe to `kubectl apply -f -`): least-privilege RBAC
    derived from stack.yaml, its ConfigMap, and the Slack approval server on PostgreSQL.

    The Secret is not printed: create it as deploy/README.md shows.
    """
    from agent.config.files import make_dirs
    from agent.deploy import manifests as dm
    from agent.errors import ChaosAdvisorError

    settings = load_config(config)
    stack_yaml = config.read_text(encoding="utf-8")  # load_config read it as UTF-8 a moment ago
    chosen = image or dm.IMAGE
    written = dm.texts(settings, stack_yaml=stack_yaml, image=chosen) if output_dir is not None else {}
    if output_dir is not None:  # every directory first, made whole or not at all: a bad one writes nothing
        make_dirs([((output_dir / name).parent, "--output-dir") for name in written])
    for warning in dm.warnings(settings):
        typer.echo(f"warning: {warning}", err=True)
    if output_dir is None:
        typer.echo(dm.to_yaml(dm.render(settings, stack_yaml=stack_yaml, image=chosen)), nl=False)
        return
    for name, text in written.items():
        try:
            (output_dir / name).write_text(text, encoding="utf-8")
        except OSError as e:
            raise ChaosAdvisorError(f"--output-dir: cannot write {output_dir / name} ({e.strerror}); pass another --output-dir") from None
    console.print(f"wrote {len(written)} files to {output_dir}", highlight=False)
