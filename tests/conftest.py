"""Shared fixtures (keep small)."""

from __future__ import annotations

import os
import shutil
import uuid
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


# ------------------------------------------------------------------------------------------------
# Store backends: the same store tests run on SQLite and on PostgreSQL
# ------------------------------------------------------------------------------------------------

PG_ENV = "COMMISSIONING_TEST_PG"


def _postgres_required() -> bool:
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("COMMISSIONING_REQUIRE_PG") == "1"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """Where a test's store lives: a SQLite file, or a fresh PostgreSQL database on the server named
    by ``COMMISSIONING_TEST_PG`` (``.ci/postgres.sh`` starts one). Without that variable the
    PostgreSQL case is skipped locally and fails in CI (``CI=true`` or ``COMMISSIONING_REQUIRE_PG=1``)."""
    if request.param == "sqlite":
        yield str(tmp_path / "store.sqlite")
        return
    server = os.environ.get(PG_ENV, "").strip()
    if not server:
        message = f"{PG_ENV} is not set: no PostgreSQL server to test the store on (see .ci/postgres.sh)"
        if _postgres_required():
            pytest.fail(message)
        pytest.skip(message)
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = f"test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()   # no pooled connection for a forked writer process to inherit
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


# ------------------------------------------------------------------------------------------------
# `slow`: tests that start subprocesses or several processes (pytest -m "not slow" for a quick run).
# A test is marked when its own code, or a module-level helper it calls, starts a process; the
# browser tests (each drives a Streamlit server and Chromium) always are.
# ------------------------------------------------------------------------------------------------

_SPAWNS = ("subprocess.", "Process(", "Popen(", "sys.executable")


def _spawning_helpers(module) -> set[str]:
    import inspect

    names = set()
    for name, obj in vars(module).items():
        if inspect.isfunction(obj) and obj.__module__ == module.__name__ and not name.startswith("test_"):
            try:
                source = inspect.getsource(obj)
            except (OSError, TypeError):
                continue
            if any(s in source for s in _SPAWNS):
                names.add(name)
    return names


def pytest_collection_modifyitems(config, items):
    import inspect
    import re

    helpers: dict[str, set[str]] = {}
    for item in items:
        if item.get_closest_marker("slow") or item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.slow)
            continue
        function = getattr(item, "function", None)
        if function is None:
            continue
        module = item.module
        if module.__name__ not in helpers:
            helpers[module.__name__] = _spawning_helpers(module)
        try:
            source = inspect.getsource(function)
        except (OSError, TypeError):
            continue
        calls = set(re.findall(r"\b([A-Za-z_]\w*)\(", source))
        if any(s in source for s in _SPAWNS) or calls & helpers[module.__name__]:
            item.add_marker(pytest.mark.slow)
