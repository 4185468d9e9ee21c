"""What the people approving a run are shown it hits: the exact selector and the pods it matches,
cut to Slack's limits with "and N more"."""

from __future__ import annotations

import json

from agent.adapters.slack_blocks import approval_blocks
from agent.design.targets import target_line
from agent.models import Candidate
from tests.factories import inventory, spec, target


def test_the_line_names_action_target_selector_kind_and_each_pod() -> None:
    inv = inventory(target("api", replicas=2), target("web"))
    assert target_line(spec(), inv) == "pod-delete on shop/api, selector name=api (deployment), 2 pods: api-0, api-1"
    one = spec(target_selector=spec().target_selector.model_copy(update={"service": "web", "labels": {"name": "web"}}))
    assert target_line(one, inv) == "pod-delete on shop/web, selector name=web (deployment), 1 pod: web-0"
    assert target_line(spec(), None) == "pod-delete on shop/api, selector name=api (deployment), pods not known"


def test_many_pods_are_cut_to_the_limit_with_and_n_more() -> None:
    inv = inventory(target("api", replicas=80))
    line = target_line(spec(), inv, limit=200)
    assert len(line) <= 200 and line.startswith("pod-delete on shop/api, selector name=api (deployment), 80 pods: api-0, ")
    listed, _, more = line.rpartition(" and ")
    shown = listed.split(": ", 1)[1].split(", ")
    assert shown == [f"api-{i}" for i in range(len(shown))] and more == f"{80 - len(shown)} more"
    assert len(target_line(spec(), inv, limit=len(line) + len(shown[-1]) + 2)) > len(line)  # as many as fit
    assert target_line(spec(), inv).endswith("api-79")  # no limit: every pod


def test_the_slack_confirm_dialog_stays_within_300_characters_and_names_the_selector() -> None:
    inv = inventory(target("api", replicas=120), target("web", tier="edge"), deps=[("web", "api")])  # web watches api's path
    blocks = approval_blocks("r1", [Candidate(rank=1, score=1.0, spec=spec())], [], inventory=inv)
    [button] = [e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == "run_1"]  # type: ignore[typeddict-item]
    confirm = button["confirm"]["text"]["text"]
    assert len(confirm) <= 300 and confirm.endswith(" more. Runs 30 s; abort when web error rate &gt; 50%.")
    assert confirm.startswith("pod-delete on shop/api, selector name=api (deployment), 120 pods: api-0, api-1, ")
    section = json.dumps(blocks[2])
    assert "Target: pod-delete on shop/api, selector name=api (deployment), 120 pods: api-0" in section
