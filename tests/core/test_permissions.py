"""One permission table (commissioning.permissions.ACTIONS) decides who may do what: the store's
role checks and the app's controls both read it, so they cannot disagree."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from commissioning import auth
from commissioning.errors import AccessDenied
from commissioning.permissions import ACTIONS, ROLES
from commissioning.store import open_store

REPO = Path(__file__).resolve().parents[2]


def calls(folder: Path, name: str):
    """(file, line, args) of every call of ``<anything>.name(...)`` or ``name(...)`` under ``folder``."""
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                f = node.func
                if (isinstance(f, ast.Attribute) and f.attr == name) or (isinstance(f, ast.Name) and f.id == name):
                    yield path.relative_to(REPO), node.lineno, node.args


def test_every_store_check_names_an_action_of_the_table():
    checks = list(calls(REPO / "commissioning" / "store", "_actor"))
    assert len(checks) > 40      # the walk sees the store's checks
    for path, line, args in checks:
        assert len(args) <= 3, f"{path}:{line}: _actor takes one action, not a list of roles"
        if len(args) == 3:
            action = args[2]
            if isinstance(action, ast.Name) and action.id == "permission":
                continue            # _set_state's parameter: its callers are checked below
            assert isinstance(action, ast.Constant) and action.value in ACTIONS, \
                f"{path}:{line}: {ast.unparse(action)} is not an action of permissions.ACTIONS"
            assert action.value not in ROLES, f"{path}:{line}: names a role, not an action"


def test_every_round_state_change_names_an_action_of_the_table():
    changes = [(p, line) for p, line, _ in calls(REPO / "commissioning" / "store", "_set_state")]
    assert len(changes) >= 3
    for path in {p for p, _ in changes}:
        for node in ast.walk(ast.parse((REPO / path).read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "_set_state":
                permission = next(k.value for k in node.keywords if k.arg == "permission")
                assert isinstance(permission, ast.Constant) and permission.value in ACTIONS


def test_every_page_control_names_an_action_of_the_table():
    controls = list(calls(REPO / "app_pages", "can"))
    assert len(controls) >= 10
    for path, line, args in controls:
        action = args[1]
        assert isinstance(action, ast.Constant) and action.value in ACTIONS, f"{path}:{line}"


def test_an_unknown_action_is_an_error_not_a_silent_no():
    with pytest.raises(KeyError):
        auth.can(None, "export_awardz")


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "p.sqlite")
    s.create_user("boss", "correct horse battery staple")
    for name, role in [("cara", "chair"), ("pat", "panel"), ("prov", "provider")]:
        s.add_member("boss", name, role, organisation="Alder Trust" if role == "provider" else None)
    return s


@pytest.mark.parametrize("role_user", ["boss", "cara", "pat", "prov"])
def test_store_and_app_agree_on_who_exports_awards_and_reads_accounts(store, role_user):
    """The chair was offered the awards export by the app but refused by the store (issue 20)."""
    user = store.get_user(role_user)
    store_allows_accounts = True
    try:
        store.accounts(role_user)
    except AccessDenied:
        store_allows_accounts = False
    assert store_allows_accounts == auth.can(user, "view_accounts")
    # awards: the store's check comes before it looks for the round
    try:
        store.awards(role_user, 999, funder_id="GB-GOR-X", funder_name="X", id_prefix="360G-x")
        refused = False
    except AccessDenied:
        refused = True
    except Exception:     # past the permission check: no such round
        refused = False
    assert refused == (not auth.can(user, "export_awards"))
    assert auth.can(store.get_user("cara"), "export_awards") is False
