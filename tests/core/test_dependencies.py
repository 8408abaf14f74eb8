"""The library's layers hold (``.importlinter``; docs/ARCHITECTURE.md draws them): core < domain
packages < store < publish < auth, web < commands, cli; no two siblings import each other; the
library never imports Streamlit. import-linter reads every import, those inside functions too.
``.ci/run`` runs the same check before the tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LINT = str(Path(sys.executable).with_name("lint-imports"))


def lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([LINT, "--no-cache"], cwd=root, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    """The library and its contracts in a folder a test may change."""
    root = tmp_path_factory.mktemp("lint")
    shutil.copytree(REPO / "commissioning", root / "commissioning",
                    ignore=shutil.ignore_patterns("__pycache__", "*.txt"))
    shutil.copy(REPO / ".importlinter", root / ".importlinter")
    return root


def test_the_layers_hold():
    result = lint(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


@pytest.mark.parametrize("module, line, broken", [
    # a domain package reaching up to the store (inside a function: still an import)
    ("needs/upward.py", "def f():\n    from commissioning.store import open_store\n", "Layers"),
    # the store building documents
    ("store/upward.py", "from commissioning.publish import summaries\n", "Layers"),
    # two domain packages of one layer importing each other
    ("spatial/sideways.py", "from commissioning.demand import trends\n", "Layers"),
    # a module of the store importing one that imports it back
    ("store/schema_cycle.py", "from commissioning.store import base\n", None),
    ("streamlit_use.py", "import streamlit\n", "streamlit"),
])
def test_a_broken_layer_fails_the_check(copy, module, line, broken):
    path = copy / "commissioning" / module
    path.write_text(line)
    extra = None
    if broken is None:     # make the cycle: base imports the new module
        extra = copy / "commissioning" / "store" / "base.py"
        original = extra.read_text()
        extra.write_text(original + "\nfrom commissioning.store import schema_cycle  # noqa\n")
    try:
        result = lint(copy)
        assert result.returncode != 0
        assert "BROKEN" in result.stdout.upper()
        if broken:
            assert broken in result.stdout
    finally:
        path.unlink()
        if extra is not None:
            extra.write_text(original)
