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
    from agent.deploy import manifests as dm

    settings = load_config(config)
    stack_yaml = config.read_text(encoding="utf-8")
    chosen = image or dm.IMAGE
    for warning in dm.warnings(settings):
        typer.echo(f"warning: {warning}", err=True)
    if output_dir is None:
        typer.echo(dm.to_yaml(dm.render(settings, stack_yaml=stack_yaml, image=chosen)), nl=False)
        return
    written = dm.texts(settings, stack_yaml=stack_yaml, image=chosen)
    for name, text in written.items():
        path = output_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    console.print(f"wrote {len(written)} files to {output_dir}", highlight=False)
