"""Shared fixtures (keep small)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True, scope="session")
def _fresh_cache(tmp_path_factory):
    """Each test session computes what the library caches on disk (backtests) afresh, once."""
    mp = pytest.MonkeyPatch()
    mp.setenv("COMMISSIONING_CACHE", str(tmp_path_factory.mktemp("cache")))
    yield
    mp.undo()


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture
def tmp_data_dir(tmp_path) -> Path:
    """A copy of the embedded data/ directory that a test may change."""
    target = tmp_path / "data"
    shutil.copytree(REPO_ROOT / "data", target)
    return target
