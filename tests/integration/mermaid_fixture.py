"""The real Mermaid renderer: mermaid-cli (mmdc 11) driving Debian's chromium, both installed by
scripts/mermaid-deps.sh into .tools/mermaid. Nothing is mocked: a diagram passes only if mmdc
draws it. mmdc exits non-zero on a diagram Mermaid cannot parse; ``render`` then raises with
mmdc's own message. Each mmdc call starts a browser (~1.2 s), so ``render_markdown`` draws every
```mermaid block of a Markdown file in one call.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".tools" / "mermaid"
MMDC = TOOLS / "node_modules" / ".bin" / "mmdc"
PUPPETEER = TOOLS / "puppeteer.json"
TIMEOUT_S = 60  # a cold chromium start plus a large diagram stays well below this


class RenderError(AssertionError):
    """mmdc failed; the message carries its exit code and stderr."""


@dataclass(frozen=True)
class RenderedMarkdown:
    """``markdown`` is the input with each ```mermaid block replaced by an image link to its SVG."""

    markdown: str
    svgs: list[Path]


def mmdc() -> Path:
    """The mmdc binary, or a skip that says how to install it (scripts/test.sh requires it)."""
    if not (MMDC.exists() and PUPPETEER.exists()):
        pytest.skip("mermaid-cli is not installed; run ./scripts/mermaid-deps.sh")
    return MMDC


def _run(source: Path, output: Path) -> None:
    cmd = [str(mmdc()), "-p", str(PUPPETEER), "-q", "-i", str(source), "-o", str(output)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    if done.returncode != 0:
        raise RenderError(f"mmdc exited {done.returncode} on {source.name}:\n{done.stderr.strip()}")


def render(source: str, tmp: Path, *, name: str = "diagram", fmt: str = "svg") -> Path:
    """Draw one diagram (Mermaid source without a fence) to ``tmp/<name>.<fmt>`` (svg or png)."""
    src = tmp / f"{name}.mmd"
    src.write_text(source, encoding="utf-8")
    out = tmp / f"{name}.{fmt}"
    _run(src, out)
    if not out.exists() or out.stat().st_size == 0:
        raise RenderError(f"mmdc exited 0 but wrote no {out.name}")
    return out


def render_markdown(markdown: str, tmp: Path, *, name: str = "report") -> RenderedMarkdown:
    """Draw every ```mermaid block of ``markdown`` in one mmdc call; raise unless each block
    became a non-empty SVG."""
    src = tmp / f"{name}.md"
    src.write_text(markdown, encoding="utf-8")
    out = tmp / f"{name}.out.md"
    _run(src, out)
    blocks = len(re.findall(r"^```mermaid\s*$", markdown, flags=re.MULTILINE))
    svgs = sorted(tmp.glob(f"{name}.out-*.svg"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    empty = [p.name for p in svgs if p.stat().st_size == 0]
    if len(svgs) != blocks or empty:
        raise RenderError(f"{blocks} mermaid blocks but {len(svgs)} SVGs ({len(empty)} empty) from mmdc")
    return RenderedMarkdown(out.read_text(encoding="utf-8"), svgs)
