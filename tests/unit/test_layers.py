"""Import rules of STYLE.md, checked on the source: layers point one way, clients stay in adapters."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = ("kubernetes", "slack_sdk", "slack_bolt", "langchain_openai", "prometheus_api_client", "psycopg", "psycopg_pool")


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules(*dirs: str) -> list[Path]:
    return [p for d in dirs for p in (ROOT / d).rglob("*.py")]


def test_third_party_clients_only_in_adapters() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in modules("agent", "tools", "graphs", "prompts")
        if "adapters" not in p.parts
        and any(m.split(".")[0] in CLIENTS for m in imports(p))
    ]
    assert offenders == []


def test_tools_never_import_graphs_and_core_never_imports_upward() -> None:
    assert [p.name for p in modules("tools") if any(m.startswith("graphs") for m in imports(p))] == []
    core = [p for p in modules("agent") if "cli" not in p.parts and "web" not in p.parts]  # the CLI and the web console sit on top
    upward = [str(p.relative_to(ROOT)) for p in core if any(m.split(".")[0] in ("graphs", "tools") for m in imports(p))]
    assert upward == []


def test_no_module_reads_the_environment_outside_settings() -> None:
    readers = [
        str(p.relative_to(ROOT))
        for p in modules("agent", "tools", "graphs", "prompts")
        if "os.environ" in p.read_text() or "os.getenv" in p.read_text()
    ]
    assert readers == []


def test_the_cli_module_imports_no_heavy_library() -> None:
    # `--help` must stay fast: models, langgraph, kubernetes and the LLM clients load in commands.
    import subprocess
    import sys

    heavy = ["agent.models", "pydantic_settings", "langgraph", "kubernetes", "langchain_openai", "slack_sdk"]
    code = f"import sys, agent.cli.main; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_command_help_loads_no_pydantic() -> None:
    # `inventory --help` once imported pydantic through Typer's value coercion (~45 ms): the
    # group's unset --help flag defaults to False now (agent.cli.common.group_settings).
    import subprocess
    import sys

    code = (
        "import sys, agent.cli.main\n"
        "for argv in (['inventory', '--help'], ['slack', 'serve', '--help'], ['recover', '--help']):\n"
        "    sys.argv = ['agent', *argv]\n"
        "    try:\n"
        "        agent.cli.main.app()\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print('pydantic' in sys.modules, file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stderr.strip().splitlines()[-1] == "False"


def test_the_twin_runs_on_its_own() -> None:
    # The twin is its own product: importing and serving it loads nothing of the agent.
    import subprocess
    import sys

    code = (
        "import sys, twin, twin.__main__\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'agent', 'graphs', 'tools', 'prompts'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
    usage = subprocess.run([sys.executable, "-m", "twin", "--help"], capture_output=True, text=True, check=True, cwd=ROOT)
    assert usage.stdout.startswith("usage: python -m twin")


def test_agent_and_twin_carry_the_same_upstream_fault_definitions() -> None:
    # Each carries its own copy (the twin imports nothing of the agent); both are chaos-charts 3.18.0.
    ours = ROOT / "agent" / "engines" / "data" / "litmus" / "faults"
    twins = ROOT / "twin" / "data" / "litmus" / "faults"
    assert sorted(p.name for p in ours.iterdir()) == sorted(p.name for p in twins.iterdir())
    assert [p.name for p in ours.iterdir() if p.read_bytes() != (twins / p.name).read_bytes()] == []


def test_no_module_over_300_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in modules("agent", "tools", "graphs", "prompts", "twin")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 300
    }
    assert long == {}


def test_at_most_12_modules_directly_in_agent() -> None:
    assert len(list((ROOT / "agent").glob("*.py"))) <= 12
