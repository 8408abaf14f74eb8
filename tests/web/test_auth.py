"""Roles, the page access check, accounts (argon2 in the store), first-run admin and the users CLI."""

from __future__ import annotations

import io
import sqlite3

import pytest

from commissioning import auth
from commissioning.cli import main
from commissioning.errors import InputError
from commissioning.store import open_store

PASSWORD = "a-long-test-password"


@pytest.fixture
def store(tmp_path):
    store = open_store(tmp_path / "auth.sqlite")
    yield store
    store.close()


# ---------------------------------------------------------------------------------------------
# Roles and pages
# ---------------------------------------------------------------------------------------------

def test_allowed_pages_per_role():
    # the matrix in the issue: public sees the published pages (priorities, victim satisfaction); the panel scores; the
    # chair scores and moderates; the commissioner has everything but scoring
    assert auth.allowed_pages("public") == ["priorities", "satisfaction", "performance"]
    assert auth.allowed_pages("panel") == ["priorities", "satisfaction", "performance", "scoring"]
    assert auth.allowed_pages("chair") == ["priorities", "satisfaction", "performance", "rounds", "scoring",
                                           "moderation"]
    assert auth.allowed_pages("commissioner") == ["priorities", "satisfaction", "performance", "coverage", "lots",
                                                  "trends", "rounds", "panel_setup", "moderation", "returns_review",
                                                  "contracts", "exports"]
    assert auth.allowed_pages("provider") == ["priorities", "satisfaction", "performance", "bids", "returns"]
    assert auth.allowed_pages("intruder") == []


@pytest.mark.parametrize("page", ["coverage", "lots", "panel_setup", "exports"])
@pytest.mark.parametrize("user", [None, auth.User("pat", "panel"), auth.User("cat", "chair")])
def test_require_refuses_commissioner_pages(page, user):
    with pytest.raises(auth.AccessDenied, match="Commissioner"):
        auth.require(user, page)


def test_require_returns_the_user_when_allowed_and_names_the_login_when_not():
    admin = auth.User("admin", "commissioner")
    assert auth.require(admin, "coverage") is admin
    assert auth.require(None, "priorities") is None
    with pytest.raises(auth.AccessDenied, match="Please log in"):
        auth.require(None, "scoring")
    with pytest.raises(auth.AccessDenied, match="no page"):
        auth.require(admin, "settings")


def test_actions():
    chair, panel, admin = auth.User("c", "chair"), auth.User("p", "panel"), auth.User("a", "commissioner")
    assert auth.can(chair, "moderate") and not auth.can(admin, "moderate") and not auth.can(panel, "moderate")
    assert auth.can(admin, "lock_round") and not auth.can(chair, "lock_round")
    assert auth.can(panel, "score") and not auth.can(None, "score")
    # panel set-up is the commissioner's; members and chairs declare their own conflicts
    assert auth.can(admin, "manage_panel") and not auth.can(chair, "manage_panel")
    assert not auth.can(panel, "manage_panel") and not auth.can(None, "manage_panel")
    assert auth.can(panel, "declare_conflict") and auth.can(chair, "declare_conflict")
    assert not auth.can(admin, "declare_conflict") and not auth.can(None, "declare_conflict")


def test_confirm_password():
    assert auth.confirm_password(PASSWORD, PASSWORD) == PASSWORD
    with pytest.raises(InputError, match="the two passwords differ"):
        auth.confirm_password(PASSWORD, PASSWORD + "x")
    # 11 characters, one short of MIN_PASSWORD_LENGTH = 12 (NCSC), typed the same twice
    with pytest.raises(InputError, match=r"too short \(11 characters\).*at least 12"):
        auth.confirm_password("river-fox-1", "river-fox-1")


# ---------------------------------------------------------------------------------------------
# Accounts
# ---------------------------------------------------------------------------------------------

def test_create_and_authenticate(store, tmp_path):
    auth.create_user(store, "admin", "commissioner", PASSWORD)
    pat = auth.create_user(store, "pat", "panel", "another-password")
    assert pat == auth.User("pat", "panel")
    assert auth.authenticate(store, "pat", "another-password") == pat
    assert auth.authenticate(store, "pat", PASSWORD) is None
    assert auth.authenticate(store, "nobody", PASSWORD) is None
    assert auth.authenticate(store, "pat", "") is None
    # stored as an argon2id hash, never as the password
    with sqlite3.connect(tmp_path / "auth.sqlite") as db:
        hashes = dict(db.execute("select username, password_hash from users"))
    assert hashes["pat"].startswith("$argon2id$") and "another-password" not in hashes["pat"]
    listed = store.account_list()
    assert listed["username"].tolist() == ["admin", "pat"]
    assert "password_hash" not in listed.columns


def test_account_rules(store):
    with pytest.raises(InputError, match="first account must be a commissioner"):
        auth.create_user(store, "pat", "panel", PASSWORD)
    with pytest.raises(InputError, match="too short"):
        auth.create_user(store, "admin", "commissioner", "short")
    with pytest.raises(InputError, match="unknown role"):
        auth.create_user(store, "admin", "public", PASSWORD)
    with pytest.raises(InputError, match="bad username"):
        auth.create_user(store, "two words", "commissioner", PASSWORD)
    auth.create_user(store, "admin", "commissioner", PASSWORD)
    with pytest.raises(InputError, match="exists already"):
        auth.create_user(store, "admin", "panel", PASSWORD)
    with pytest.raises(InputError, match="not a commissioner"):
        auth.create_user(store, "pat", "panel", PASSWORD, by="nobody")


def test_ensure_admin_needs_both_variables_and_never_resets(store):
    assert auth.ensure_admin(store, {}) is None
    assert auth.ensure_admin(store, {auth.ADMIN_USER_ENV: "admin"}) is None
    assert store.account_list().empty                      # no default password, no account
    env = {auth.ADMIN_USER_ENV: "admin", auth.ADMIN_PASSWORD_ENV: PASSWORD}
    assert auth.ensure_admin(store, env) == auth.User("admin", "commissioner")
    changed = {**env, auth.ADMIN_PASSWORD_ENV: "a-different-password"}
    assert auth.ensure_admin(store, changed) == auth.User("admin", "commissioner")
    assert auth.authenticate(store, "admin", PASSWORD) is not None       # first password still works
    assert auth.authenticate(store, "admin", "a-different-password") is None


# ---------------------------------------------------------------------------------------------
# users CLI
# ---------------------------------------------------------------------------------------------

def test_users_cli_create_and_list(tmp_path, monkeypatch, capsys):
    db = str(tmp_path / "cli.sqlite")
    monkeypatch.setenv("FIRST_PW", PASSWORD)
    monkeypatch.setenv("PANEL_PW", "panel-password-1")
    assert main(["users", "--db", db, "create", "--username", "admin", "--role", "commissioner",
                 "--password-env", "FIRST_PW"]) == 0
    assert main(["users", "--db", db, "create", "--username", "pat", "--role", "panel",
                 "--password-env", "PANEL_PW"]) == 0
    capsys.readouterr()
    monkeypatch.setenv("COMMISSIONING_DB", db)
    assert main(["users", "list", "--format", "csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "username,display_name,role,active,can_sign_in,created_at,organisation"
    assert [line.split(",")[:5] for line in out[1:]] == [["admin", "admin", "commissioner", "True", "True"],
                                                         ["pat", "pat", "panel", "True", "True"]]
    assert PASSWORD not in "\n".join(out)
    store = open_store(db)
    assert auth.authenticate(store, "pat", "panel-password-1") == auth.User("pat", "panel")
    store.close()


def test_users_cli_set_password_for_an_imported_member(tmp_path, monkeypatch, capsys):
    # Panel members imported with a round's scores have no password until a commissioner sets one.
    db = str(tmp_path / "cli.sqlite")
    store = open_store(db)
    boss = store.create_user("boss", PASSWORD)
    store.add_member(boss, "s1", role="panel")
    assert auth.authenticate(store, "s1", "new-password-1") is None
    monkeypatch.setenv("NEW_PW", "new-password-1")
    assert main(["users", "--db", db, "set-password", "--username", "s1", "--password-env", "NEW_PW"]) == 0
    assert auth.authenticate(store, "s1", "new-password-1") == auth.User("s1", "panel")
    assert main(["users", "--db", db, "set-password", "--username", "nobody", "--password-env", "NEW_PW"]) == 2
    assert "no user 'nobody'" in capsys.readouterr().err
    store.close()


def test_users_cli_skips_a_deactivated_commissioner(tmp_path, monkeypatch, capsys):
    db = str(tmp_path / "cli.sqlite")
    store = open_store(db)
    first = store.create_user("first", PASSWORD)
    store.add_member(first, "second", role="commissioner", password=PASSWORD)
    store.deactivate_user("second", "first", note="left MOPAC")
    monkeypatch.setenv("PANEL_PW", "panel-password-1")
    # Without --by the account is added by the first *active* commissioner.
    assert main(["users", "--db", db, "create", "--username", "pat", "--role", "panel",
                 "--password-env", "PANEL_PW"]) == 0
    log = store.audit_log("second")
    assert log.loc[log["entity"].str.contains("pat"), "username"].tolist()[-1] == "second"
    # Naming the deactivated one is refused with a message and exit 2, never a traceback.
    assert main(["users", "--db", db, "create", "--username", "lee", "--role", "panel",
                 "--password-env", "PANEL_PW", "--by", "first"]) == 2
    assert "'first' is not an active commissioner" in capsys.readouterr().err
    store.close()


def test_users_cli_errors_exit_2_without_traceback(tmp_path, monkeypatch, capsys):
    db = str(tmp_path / "cli.sqlite")
    monkeypatch.delenv("MISSING_PW", raising=False)
    assert main(["users", "--db", db, "create", "--username", "admin", "--role", "commissioner",
                 "--password-env", "MISSING_PW"]) == 2
    err = capsys.readouterr().err
    assert "MISSING_PW is not set" in err and "Traceback" not in err
    monkeypatch.setattr("sys.stdin", io.StringIO(""))         # no terminal to prompt on
    assert main(["users", "--db", db, "create", "--username", "admin", "--role", "commissioner"]) == 2
    assert "--password-env" in capsys.readouterr().err
