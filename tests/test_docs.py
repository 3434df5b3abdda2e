"""README.md and docs/*.md: every code block marked runnable runs, and every relative link resolves.

A fenced block whose info string carries the word ``runnable`` (```` ```bash runnable ````, ```` ```python runnable
````) is run from the repository root, with the running interpreter's folder (the venv's ``bin/``) first on PATH, and
must exit 0. Mark only cheap blocks: all of them together should take well under a minute. A relative link must name
an existing file or folder, and its ``#anchor``, where given, a heading of that Markdown file.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
FENCE = re.compile(r"^(`{3,})(.*)$")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
INLINE_CODE = re.compile(r"`+[^`]*`+")
RUNNERS = {"bash": lambda code: ["bash", "-euo", "pipefail", "-c", code],
           "sh": lambda code: ["bash", "-euo", "pipefail", "-c", code],
           "python": lambda code: [sys.executable, "-c", code]}


def _split(path: Path):
    """(prose lines with their numbers, code blocks as (line number, info string, code))."""
    prose, blocks, fence, info, start, body = [], [], None, "", 0, []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        m = FENCE.match(line)
        if fence is None and m:
            fence, info, start, body = m.group(1), m.group(2).strip(), number, []
        elif fence is not None and line.strip() == fence:
            blocks.append((start, info, "\n".join(body) + "\n"))
            fence = None
        elif fence is not None:
            body.append(line)
        else:
            prose.append((number, line))
    assert fence is None, f"{path.name}: code block opened at line {start} is never closed"
    return prose, blocks


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading anchors on its text
    text = text.strip().lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    anchors = set()
    for _, line in _split(path)[0]:
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if m:
            slug = _slug(m.group(1))
            n = seen.get(slug, 0)
            seen[slug] = n + 1
            anchors.add(slug if n == 0 else f"{slug}-{n}")
    return anchors


def _runnable_blocks():
    for page in PAGES:
        for start, info, code in _split(page)[1]:
            words = info.split()
            if "runnable" in words:
                yield pytest.param(words[0], code, id=f"{page.relative_to(REPO)}:{start}")


def _links():
    for page in PAGES:
        for number, line in _split(page)[0]:
            for target in LINK.findall(INLINE_CODE.sub("", line)):
                if not re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto: ...
                    yield pytest.param(page, target, id=f"{page.relative_to(REPO)}:{number}:{target}")


def test_some_blocks_are_marked_runnable():
    assert len(list(_runnable_blocks())) >= 3


@pytest.mark.parametrize(("language", "code"), list(_runnable_blocks()))
def test_runnable_block_runs(language, code):
    assert language in RUNNERS, f"no runner for a runnable {language!r} block (known: {sorted(RUNNERS)})"
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
               MPLBACKEND="Agg")
    out = subprocess.run(RUNNERS[language](code), cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, (f"exit {out.returncode}\n--- stdout\n{out.stdout[-3000:]}\n"
                                 f"--- stderr\n{out.stderr[-3000:]}")


@pytest.mark.parametrize(("page", "target"), list(_links()))
def test_relative_link_resolves(page, target):
    path, _, anchor = target.partition("#")
    resolved = (page.parent / path).resolve() if path else page
    assert resolved.exists(), f"{target}: {resolved} does not exist"
    if anchor:
        assert resolved.suffix == ".md", f"{target}: an anchor into a file that is not Markdown"
        assert anchor in _anchors(resolved), f"{target}: no heading with anchor #{anchor} in {resolved.name}"


def test_readme_links_every_docs_page():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    linked = {(REPO / t.partition("#")[0]).resolve() for t in LINK.findall(readme)}
    missing = [p.name for p in PAGES[1:] if p.resolve() not in linked]
    assert not missing, f"README.md links no docs page {missing}"
