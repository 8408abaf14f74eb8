"""Dependencies between packages run one way, read from every import statement (the module's own and
those inside functions): procurement (how bids are judged) never imports publish (what is told to the
public and the panel), which builds on it; the library never imports Streamlit."""

from __future__ import annotations

import ast
from pathlib import Path

LIBRARY = Path(__file__).resolve().parent.parent / "commissioning"


def imported(path: Path) -> set[str]:
    """Every module an ``import`` or ``from ... import`` in the file names, at any depth."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def importers(package: str, forbidden: str) -> dict[str, list[str]]:
    """Files of ``package`` (a folder of the library, "" for all) importing ``forbidden`` or a module in it."""
    found = {}
    for path in sorted((LIBRARY / package).rglob("*.py")):
        bad = sorted(n for n in imported(path) if n == forbidden or n.startswith(forbidden + "."))
        if bad:
            found[str(path.relative_to(LIBRARY))] = bad
    return found


def test_procurement_never_imports_publish():
    assert list((LIBRARY / "procurement").glob("*.py"))
    assert importers("procurement", "commissioning.publish") == {}


def test_publish_builds_on_procurement():
    """The other way round is the intended direction (so the check above is not vacuous)."""
    assert "publish/summaries.py" in importers("publish", "commissioning.procurement")


def test_the_library_never_imports_streamlit():
    assert importers("", "streamlit") == {}


def test_the_walk_sees_imports_inside_functions(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from commissioning.publish import priorities\n    import streamlit as st\n")
    assert {"commissioning.publish", "commissioning.publish.priorities", "streamlit"} <= imported(module)
