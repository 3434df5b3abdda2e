"""Every test file that the code and the docs name exists (a docstring that says "this test file checks it" must
point at the test that does)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [*ROOT.glob("envs/**/*.py"), *ROOT.glob("train/**/*.py"), *ROOT.glob("benchmarks/*.py"),
           *ROOT.glob("tests/**/*.py"), *ROOT.glob("docs/*.md"), *ROOT.glob("*.md"), *ROOT.glob("urdf/*.md")]
TEST_PATH = re.compile(r"\btests/[\w/]+\.py\b")


def test_named_test_files_exist():
    named = {(str(path.relative_to(ROOT)), ref) for path in SOURCES for ref in TEST_PATH.findall(path.read_text())}
    assert len(named) >= 10  # the pattern finds the references
    missing = sorted((where, ref) for where, ref in named if not (ROOT / ref).is_file())
    assert missing == []
