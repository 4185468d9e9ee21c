"""Tokens of the LLM designer's prompt: Sock Shop (from the twin) and generated stacks.

    python bench/prompt_budget.py [--sizes 200 2000] [--count 5]

Prints, per inventory, the tokens of the two messages, of the response schema sent with them,
the total (what ``llm.max_prompt_tokens`` bounds, 6,000 by default) and how many services the
summary lists in full. Nothing is sent anywhere: the prompt is only built and counted.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402

from agent.adapters.llm_designer import build_prompt  # noqa: E402
from agent.config import Settings, load_settings  # noqa: E402
from agent.inventory.discovery import discover  # noqa: E402
from agent.inventory.summary import tokenizer_name  # noqa: E402
from agent.models import (  # noqa: E402
    Container,
    Dependency,
    Inventory,
    Pod,
    Probe,
    Target,
    Workload,
)
from agent.wiring import ClusterBinding, open_deps  # noqa: E402

DOMAINS = ["billing", "catalog", "checkout", "identity", "inventory", "search", "shipping", "media",
           "notify", "pricing", "reviews", "payments", "ledger", "ads", "profile", "orders"]
ROLES = {"edge": ["gateway", "web", "bff"], "business": ["api", "worker", "service", "svc"],
         "data": ["db", "cache", "store"], "queue": ["queue", "broker"]}


def sock_shop(settings: Settings) -> Inventory:
    """Sock Shop as discovery sees it on the twin (a temporary state file)."""
    with open_deps(settings, ClusterBinding(twin=True), console=Console(file=io.StringIO()), realtime=False) as deps:
        return discover(deps)


def generated(n: int, *, seed: int = 7, namespace: str = "shop") -> Inventory:
    """``n`` services in tiers (5% edge, 60% business, 25% data, 10% queue), each called by one to
    three services of the tier above; replicas, probes and limits vary as in real stacks."""
    rng = random.Random(seed)
    tiers = ["edge"] * max(1, n // 20) + ["business"] * (n * 12 // 20) + ["data"] * (n * 5 // 20)
    tiers += ["queue"] * (n - len(tiers))
    targets = [_target(i, tier, rng, namespace) for i, tier in enumerate(tiers)]
    above = {"business": "edge", "data": "business", "queue": "business"}
    deps = []
    for t in targets:
        if t.tier in above:
            callers = [c for c in targets if c.tier == above[t.tier]]
            for c in rng.sample(callers, k=min(len(callers), rng.randint(1, 3))):
                deps.append(Dependency(source=c.name, target=t.name, sync=t.tier != "queue"))
    return Inventory(
        cluster="http://generated", discovered_at=datetime(2026, 11, 26, tzinfo=UTC), targets=targets,
        workloads=[t.workload for t in targets if t.workload], services=[],
        pods=[p for t in targets for p in t.pods], dependencies=deps,
    )


def _target(i: int, tier: str, rng: random.Random, namespace: str) -> Target:
    name = f"{rng.choice(DOMAINS)}-{rng.choice(ROLES[tier])}-{i:04d}"
    replicas = rng.choice([1, 1, 2, 3, 5])
    probe = None if rng.random() < 0.2 else Probe(initial_delay_s=rng.choice([0, 5, 10, 30, 90, 180]))
    container = Container(
        name=name, image=f"registry.example/{name}:1.{i % 40}", readiness=probe,
        cpu_limit_m=rng.choice([None, 250, 500, 1000]), memory_limit_mib=rng.choice([None, 256, 512, 1024]),
    )
    kind = "StatefulSet" if tier == "data" else "Deployment"
    labels = {"app": name, "team": rng.choice(DOMAINS)}
    workload = Workload(kind=kind, name=name, namespace=namespace, labels=labels, pod_labels={"app": name},
                        replicas=replicas, ready_replicas=replicas, containers=[container],
                        annotations={"owner": f"team-{rng.choice(DOMAINS)}@example.com"})
    pods = [Pod(name=f"{name}-{k}", namespace=namespace, labels={"app": name}, owner_kind=kind,
                owner_name=name, ready=True) for k in range(replicas)]
    return Target(name=name, namespace=namespace, tier=tier, criticality=rng.choice(["low", "medium", "high"]),  # type: ignore[arg-type]
                  type=rng.choice(["go", "java", "nodejs", "python"]), selector={"app": name},
                  store={"data": "postgres"}.get(tier), workload=workload, pods=pods)


def measure(label: str, inventory: Inventory, settings: Settings, count: int) -> dict[str, object]:
    start = time.perf_counter()
    prompt = build_prompt(inventory, policy=settings.policy, count=count, max_tokens=settings.llm.max_prompt_tokens)
    header = json.loads(prompt.user.split("```cluster-data\n", 1)[1].splitlines()[0])
    return {"inventory": label, "services": len(inventory.targets), "listed_in_full": header["listed_in_full"],
            "message_tokens": prompt.message_tokens, "schema_tokens": prompt.schema_tokens,
            "total_tokens": prompt.tokens, "budget": settings.llm.max_prompt_tokens,
            "build_s": round(time.perf_counter() - start, 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[200, 2000])
    parser.add_argument("--count", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(ROOT / "stack.yaml", Path(tmp) / "stack.yaml")
        settings = load_settings(Path(tmp) / "stack.yaml")
        rows = [measure("sock-shop (twin)", sock_shop(settings), settings, args.count)]
    rows += [measure(f"generated-{n}", generated(n), settings, args.count) for n in args.sizes]
    print(f"tokenizer: {tokenizer_name()}")
    keys = list(rows[0])
    print(" | ".join(keys))
    for row in rows:
        print(" | ".join(str(row[k]) for k in keys))


if __name__ == "__main__":
    main()
