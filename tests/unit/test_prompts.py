"""Prompt templates render strictly: a missing or unused variable is an error."""

from __future__ import annotations

import pytest

from prompts import PromptError, render


def test_design_prompt_renders_with_exactly_its_variables() -> None:
    text = render("design", count=3, inventory="- carts", actions="pod-delete", max_duration_s=60)
    assert "Propose 3 experiments" in text and "- carts" in text


def test_missing_and_unused_variables_fail() -> None:
    with pytest.raises(PromptError, match=r"missing \['max_duration_s'\]"):
        render("design", count=3, inventory="x", actions="y")
    with pytest.raises(PromptError, match=r"unused \['extra'\]"):
        render("design", count=3, inventory="x", actions="y", max_duration_s=1, extra=2)
