"""Whole-cycle LLM cost on Sock Shop, counted at a loopback OpenAI-compatible server.

    python bench/llm_cost.py

Runs the real graph on the twin (discover -> design -> approve -> execute -> monitor -> narrate)
with ``llm.enabled`` pointing at tests/integration/openai_server.py's OpenAIServer, which answers
a scripted, plausible design (three Sock Shop experiments) and a narration. Every request body
the server received is counted with tiktoken (agent.inventory.summary.count_tokens): each message's
content plus 4 tokens of per-message framing, plus the response_format JSON schema (the API
bills it as prompt). Completion tokens are those of the scripted answers. The server's own
usage figures are fake and ignored.

Compares with ChaosEater's reported ~297k tokens / $0.84 per Sock Shop cycle. Target <= 20k.
Prices (USD per 1M tokens, input/output; list prices assumed, not fetched): gpt-4o-mini 0.15/0.60,
gpt-4o 2.50/10.00.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402

from agent.adapters.llm_schema import LLMParameters  # noqa: E402
from agent.config import load_settings  # noqa: E402
from agent.inventory.summary import count_tokens, tokenizer_name  # noqa: E402
from agent.models import Decision  # noqa: E402
from agent.wiring import ClusterBinding, open_checkpointer, open_deps  # noqa: E402
from graphs import runner  # noqa: E402
from graphs.builder import build  # noqa: E402
from tests.integration.openai_server import OpenAIServer  # noqa: E402

PRICES = {"gpt-4o-mini": (0.15, 0.60), "gpt-4o": (2.50, 10.00)}
CHAOSEATER = (297_000, 0.84)
PER_MESSAGE = 4  # role and separators per chat message (OpenAI's cookbook figure)


def experiment(title: str, service: str, action: str, watch: str, peak: float, recovery_s: int,
               **parameters: Any) -> dict[str, Any]:
    params: dict[str, Any] = {name: None for name in LLMParameters.model_fields}
    params.update({"duration_s": 30, **parameters})
    return {
        "title": title, "description": f"{action} on {service}; watch {watch}", "action": action,
        "target_service": service, "parameters": params,
        "abort_threshold": {"service": watch, "error_rate_pct": 20, "latency_p95_ms": None},
        "risk_level": "low", "expected_impact": f"{watch} sees a short error burst while {service} restarts",
        "rationale": f"{service} runs one replica; its callers have no retry",
        "hypothesis": {"statement": f"{watch} recovers within {recovery_s} s after losing {service}",
                       "affected_services": [service, watch],
                       "expected": [{"service": watch, "signal": "error_rate_pct", "peak": peak}],
                       "recovery_s": recovery_s},
    }


DESIGN = {"experiments": [
    experiment("Catalogue pod delete", "catalogue", "pod-delete", "front-end", 15, 60),
    experiment("Carts latency 200 ms", "carts", "pod-network-latency", "front-end", 5, 30,
               network_latency_ms=200),
    experiment("Payment pod delete", "payment", "pod-delete", "orders", 30, 60),
]}
NARRATION = {
    "what_happened": ("The agent deleted the catalogue pod. The front-end's error rate rose while the pod "
                      "restarted and came back once it was Ready again."),
    "recommendations": ["Run two catalogue replicas so one restart does not surface as front-end errors.",
                        "Add a retry with a short timeout on the front-end's catalogue calls."],
}


def prompt_tokens(body: dict[str, Any]) -> tuple[int, int]:
    """(message tokens, schema tokens) of one request as the server received it."""
    messages = sum(count_tokens(str(m.get("content") or "")) + PER_MESSAGE for m in body.get("messages", []))
    schema = body.get("response_format", {}).get("json_schema")
    return messages + 3, count_tokens(json.dumps(schema)) if schema else 0


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, OpenAIServer() as server:
        shutil.copy(ROOT / "stack.yaml", Path(tmp) / "stack.yaml")
        os.environ.update({"CHAOS_ADVISOR_LLM__ENABLED": "true", "CHAOS_ADVISOR_LLM__BASE_URL": server.base_url,
                           "OPENAI_API_KEY": "test"})
        settings = load_settings(Path(tmp) / "stack.yaml")
        server.answer(DESIGN)
        server.answer(NARRATION)
        completions = [json.dumps(DESIGN), json.dumps(NARRATION)]
        with open_deps(settings, ClusterBinding(twin=True), console=Console(file=io.StringIO()), realtime=False) as deps:
            with open_checkpointer(settings) as saver:
                graph = build(saver)
                view = runner.start(graph, deps, run_id="llmcost1", count=3, cluster={"twin": True})
                assert view.waiting is not None, f"no approval asked (outcome {view.state.get('outcome')})"
                decision = Decision(verdict="approve", choice=1, approver="bench", channel="cli", at=deps.clock.now())
                state = runner.resume(graph, deps, "llmcost1", decision).state
        requests = list(server.requests)
    print(f"tokenizer: {tokenizer_name()}; model {settings.llm.model}; outcome {state.get('outcome')}; "
          f"candidates {len(state.get('candidates') or [])}; requests {len(requests)}")
    total_in = total_out = 0
    for i, body in enumerate(requests):
        msgs, schema = prompt_tokens(body)
        out = count_tokens(completions[i]) if i < len(completions) else 0
        kind = "design" if "experiment" in json.dumps(body.get("response_format", {}))[:400] else "narration"
        print(f"  request {i + 1} ({kind}): prompt {msgs + schema:,} (messages {msgs:,} + schema {schema:,}), "
              f"completion {out:,}")
        total_in += msgs + schema
        total_out += out
    total = total_in + total_out
    print(f"whole cycle: prompt {total_in:,} + completion {total_out:,} = {total:,} tokens (target <= 20,000)")
    for model, (pin, pout) in PRICES.items():
        cost = total_in / 1e6 * pin + total_out / 1e6 * pout
        print(f"  at {model} list prices: ${cost:.4f} per cycle")
    print(f"ChaosEater (reported): ~{CHAOSEATER[0]:,} tokens, ${CHAOSEATER[1]:.2f} per Sock Shop cycle; "
          f"ratio ours/ChaosEater tokens {total / CHAOSEATER[0]:.3f} ({CHAOSEATER[0] / total:.0f}x fewer)")


if __name__ == "__main__":
    main()
