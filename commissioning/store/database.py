"""The panel store: rounds, lots, bids, panel members, assignments, conflicts, scores, moderation, audit.

An embedded SQLite database by default (``open_store("panel.sqlite")``); any SQLAlchemy URL works
(``open_store("postgresql://...")``). Every write runs in one transaction; on SQLite the database is
in WAL mode with a busy timeout and writes take ``BEGIN IMMEDIATE`` so concurrent writers queue
instead of failing, and ``synchronous=FULL`` so a committed score survives a crash.

Schema migrations are versioned without alembic (one small schema, one embedded database): the
``schema_version`` table records the applied steps and :data:`MIGRATIONS` lists them in order; the
missing ones run in a single transaction when a store is opened.

Rules the API enforces (the acting user is always a parameter and is re-read from the database):

- roles: ``commissioner`` (sets up rounds, members, assignments; opens moderation; locks),
  ``chair`` (moderates, may also score), ``panel`` (scores), ``public`` (no panel access);
- a scorer with a declared conflict of interest cannot be assigned to, see or score that
  organisation's bids; declaring one withdraws existing assignments and scores for it;
- a scorer sees and changes only their own scores; all scores are visible to the chair and
  commissioner only once moderation is open;
- taking an assignment back withdraws the member's scores for that bid (audited with the old
  values); once moderation is open only when the caller says so (``withdraw_scores=True``);
- a deactivated account cannot sign in or act, gets no new assignments, and keeps its scores
  (they still count); the last active commissioner cannot be deactivated;
- every score needs a comment, every moderation decision a note;
- the round moves ``scoring`` -> ``moderation`` -> ``locked``; once locked nothing changes;
- every change appends to the audit log (who, what, when, old and new value), which cannot be
  updated or deleted (SQLite triggers).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd
import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, Engine

from commissioning.errors import AccessDenied, InputError, StoreError
from commissioning.procurement.rules import Rules, load_rules, parse_rules
from commissioning.procurement.scoring import (
    ScoringResult,
    prepare_bids,
    prepare_marks,
    read_bids,
    read_moderation,
    read_scores,
    score_bids,
)

# Ids read back through pandas are numpy integers; let SQLite bind them as plain integers.
for _numpy_int in (np.int64, np.int32):
    sqlite3.register_adapter(_numpy_int, int)

ROLES = ("commissioner", "chair", "panel", "public")
SCORING_ROLES = ("panel", "chair")
STATES = ("scoring", "moderation", "locked")

metadata = MetaData()
# The tables as of the latest migration. A new migration step must come with the matching change
# here, and must not rely on these objects for what it alters.
schema_version = Table(
    "schema_version", metadata,
    Column("version", Integer, primary_key=True),
    Column("description", Text, nullable=False),
    Column("applied_at", String(32), nullable=False))
users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("password_hash", Text),
    Column("created_at", String(32), nullable=False),
    Column("active", Integer, nullable=False, server_default=text("1")))  # migration 2
rounds = Table(
    "rounds", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("rules_yaml", Text, nullable=False),
    Column("state", String(20), nullable=False),
    Column("created_at", String(32), nullable=False))
lots = Table(
    "lots", metadata,
    Column("id", Integer, primary_key=True),
    Column("round_id", ForeignKey("rounds.id"), nullable=False),
    Column("name", String(200), nullable=False),
    UniqueConstraint("round_id", "name"))
bids = Table(
    "bids", metadata,
    Column("id", Integer, primary_key=True),
    Column("round_id", ForeignKey("rounds.id"), nullable=False),
    Column("lot_id", ForeignKey("lots.id"), nullable=False),
    Column("bid_ref", String(100), nullable=False),
    Column("organisation", String(300), nullable=False),
    Column("price", Float, nullable=False),
    Column("submitted_at", String(40), nullable=False),
    Column("gates", Text, nullable=False),
    Column("areas", Text, nullable=False),
    UniqueConstraint("round_id", "bid_ref"))
assignments = Table(
    "assignments", metadata,
    Column("id", Integer, primary_key=True),
    Column("bid_id", ForeignKey("bids.id"), nullable=False),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    UniqueConstraint("bid_id", "user_id"))
conflicts = Table(
    "conflicts", metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("organisation_key", String(300), nullable=False),
    Column("organisation", String(300), nullable=False),
    Column("note", Text, nullable=False),
    Column("declared_at", String(32), nullable=False),
    UniqueConstraint("user_id", "organisation_key"))
scores = Table(
    "scores", metadata,
    Column("id", Integer, primary_key=True),
    Column("bid_id", ForeignKey("bids.id"), nullable=False),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("criterion", String(50), nullable=False),
    Column("score", Float, nullable=False),
    Column("comment", Text, nullable=False),
    Column("updated_at", String(32), nullable=False),
    UniqueConstraint("bid_id", "user_id", "criterion"))
moderation = Table(
    "moderation", metadata,
    Column("id", Integer, primary_key=True),
    Column("bid_id", ForeignKey("bids.id"), nullable=False),
    Column("criterion", String(50), nullable=False),
    Column("score", Float, nullable=False),
    Column("note", Text, nullable=False),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("decided_at", String(32), nullable=False),
    UniqueConstraint("bid_id", "criterion"))
audit = Table(
    "audit", metadata,
    Column("id", Integer, primary_key=True),
    Column("at", String(32), nullable=False),
    Column("user_id", Integer),
    Column("username", String(100)),
    Column("round_id", Integer),
    Column("action", String(50), nullable=False),
    Column("entity", Text, nullable=False),
    Column("old_value", Text),
    Column("new_value", Text))


def _users_v1() -> Table:
    """The users table as migration 1 created it (before migration 2 added ``active``)."""
    return Table(
        "users", MetaData(),
        Column("id", Integer, primary_key=True),
        Column("username", String(100), nullable=False, unique=True),
        Column("display_name", String(200), nullable=False),
        Column("role", String(20), nullable=False),
        Column("password_hash", Text),
        Column("created_at", String(32), nullable=False))


def _migration_1(conn: Connection) -> None:
    _users_v1().create(conn)
    metadata.create_all(conn, tables=[rounds, lots, bids, assignments, conflicts, scores,
                                      moderation, audit])
    if conn.dialect.name == "sqlite":
        for op in ("UPDATE", "DELETE"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER audit_append_only_{op.lower()} BEFORE {op} ON audit "
                "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END")


def _migration_2(conn: Connection) -> None:
    conn.exec_driver_sql("ALTER TABLE users ADD COLUMN active INTEGER NOT NULL DEFAULT 1")


MIGRATIONS = [
    (1, "rounds, lots, bids, users, assignments, conflicts, scores, moderation, audit", _migration_1),
    (2, "users.active: deactivated accounts keep their record and scores", _migration_2),
]


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    display_name: str


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


def _org_key(name: str) -> str:
    return re.sub(r"\s+", " ", str(name)).strip().casefold()


def organisation_key(name: str) -> str:
    """How the store matches organisation names (conflicts against bids): spaces collapsed,
    case folded. ``organisation_key(" Acme  Trust") == organisation_key("acme trust")``."""
    return _org_key(name)


def _json(value) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, default=str)


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 60})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Own the transactions: pysqlite's implicit BEGIN would defer the write lock.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA busy_timeout = 60000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # IMMEDIATE takes the write lock up front, so two writers never deadlock upgrading locks.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")

    return engine


def open_store(url_or_path: str | Path) -> "Store":
    """Open (and create or migrate) a store: a file path for SQLite, or a SQLAlchemy URL."""
    text = str(url_or_path)
    if "://" not in text:
        path = Path(text).expanduser().resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        text = f"sqlite:///{path}"
    engine = _sqlite_engine(text) if text.startswith("sqlite") else create_engine(text)
    store = Store(engine)
    store.migrate()
    return store


class Store:
    """Panel workflow over one database. Use :func:`open_store` to get one."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._hasher = PasswordHasher()
        self._parsed_rules: dict[str, Rules] = {}

    # -- plumbing ---------------------------------------------------------------------------

    @contextmanager
    def _write(self):
        with self.engine.connect() as conn:
            conn.execution_options(write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def _read(self):
        with self.engine.connect() as conn:
            with conn.begin():
                yield conn

    def close(self) -> None:
        self.engine.dispose()

    def migrate(self) -> int:
        """Apply the missing migration steps in one transaction; return the schema version."""
        with self._write() as conn:
            schema_version.create(conn, checkfirst=True)
            current = conn.execute(select(func.max(schema_version.c.version))).scalar() or 0
            for version, description, step in MIGRATIONS:
                if version > current:
                    step(conn)
                    conn.execute(insert(schema_version).values(
                        version=version, description=description, applied_at=_now()))
                    current = version
        return current

    def schema_version(self) -> int:
        with self._read() as conn:
            return conn.execute(select(func.max(schema_version.c.version))).scalar() or 0

    def _audit(self, conn, actor: User | None, action: str, entity: str, old=None, new=None,
               round_id: int | None = None) -> None:
        conn.execute(insert(audit).values(
            at=_now(), user_id=actor.id if actor else None, username=actor.username if actor else None,
            round_id=round_id, action=action, entity=entity, old_value=_json(old), new_value=_json(new)))

    def _user_row(self, conn, who: User | str):
        name = who.username if isinstance(who, User) else str(who)
        row = conn.execute(select(users).where(users.c.username == name)).mappings().first()
        if row is None:
            raise AccessDenied(f"unknown user {name!r}")
        return row

    def _user(self, conn, who: User | str) -> User:
        row = self._user_row(conn, who)
        return User(row["id"], row["username"], row["role"], row["display_name"])

    def _actor(self, conn, who: User | str, *roles: str) -> User:
        row = self._user_row(conn, who)
        user = User(row["id"], row["username"], row["role"], row["display_name"])
        if not row["active"]:
            raise AccessDenied(f"{user.username}'s account is deactivated")
        if roles and user.role not in roles:
            raise AccessDenied(f"{user.username} ({user.role}) may not do this; needs {' or '.join(roles)}")
        return user

    def _round(self, conn, round_id: int):
        row = conn.execute(select(rounds).where(rounds.c.id == round_id)).mappings().first()
        if row is None:
            raise StoreError(f"no round {round_id}")
        return row

    def _bid(self, conn, bid: int):
        row = conn.execute(
            select(bids, rounds.c.state, rounds.c.rules_yaml)
            .join(rounds, rounds.c.id == bids.c.round_id).where(bids.c.id == bid)).mappings().first()
        if row is None:
            raise StoreError(f"no bid {bid}")
        return row

    def _rules_of(self, rules_yaml: str) -> Rules:
        # A round's rules never change once stored, so each text is parsed once per store.
        if rules_yaml not in self._parsed_rules:
            self._parsed_rules[rules_yaml] = parse_rules(rules_yaml, source="round rules")
        return self._parsed_rules[rules_yaml]

    def _conflicted(self, conn, user_id: int, organisation: str) -> bool:
        return conn.execute(select(conflicts.c.id).where(
            conflicts.c.user_id == user_id,
            conflicts.c.organisation_key == _org_key(organisation))).first() is not None

    # -- accounts ---------------------------------------------------------------------------

    def create_user(self, username: str, password: str, role: str = "commissioner",
                    display_name: str | None = None) -> User:
        """Create the first account (bootstrap); afterwards a commissioner uses :meth:`add_member`."""
        with self._write() as conn:
            if conn.execute(select(func.count()).select_from(users)).scalar():
                raise AccessDenied("accounts exist already: a commissioner adds members")
            return self._insert_user(conn, None, username, role, password, display_name)

    def add_member(self, actor: User | str, username: str, role: str = "panel",
                   password: str | None = None, display_name: str | None = None) -> User:
        """Add an account (commissioner only). Without a password the member cannot sign in yet."""
        with self._write() as conn:
            actor = self._actor(conn, actor, "commissioner")
            return self._insert_user(conn, actor, username, role, password, display_name)

    def _insert_user(self, conn, actor, username, role, password, display_name) -> User:
        username = str(username).strip()
        if not username:
            raise InputError("empty username", column="username")
        if role not in ROLES:
            raise InputError(f"unknown role {role!r}", column="role", expected=", ".join(ROLES))
        if conn.execute(select(users.c.id).where(users.c.username == username)).first():
            raise StoreError(f"user {username!r} exists already")
        digest = self._hasher.hash(password) if password else None
        uid = conn.execute(insert(users).values(
            username=username, display_name=display_name or username, role=role,
            password_hash=digest, created_at=_now())).inserted_primary_key[0]
        self._audit(conn, actor, "user.add", f"user {username}", None, {"role": role})
        return User(uid, username, role, display_name or username)

    def set_password(self, actor: User | str, username: str, password: str) -> None:
        """Set a password: one's own, or anyone's for a commissioner."""
        if not password:
            raise InputError("empty password", column="password")
        with self._write() as conn:
            actor = self._actor(conn, actor)
            if actor.username != username and actor.role != "commissioner":
                raise AccessDenied("only a commissioner sets another member's password")
            target = self._user(conn, username)
            conn.execute(update(users).where(users.c.id == target.id)
                         .values(password_hash=self._hasher.hash(password)))
            self._audit(conn, actor, "user.password", f"user {username}")

    def verify_password(self, username: str, password: str) -> User | None:
        """The user if ``password`` matches their argon2 hash, else None (rehashes outdated hashes)."""
        with self._read() as conn:
            row = conn.execute(select(users).where(users.c.username == username)).mappings().first()
        if row is None or not row["password_hash"] or not row["active"]:
            return None
        try:
            self._hasher.verify(row["password_hash"], password)
        except (VerificationError, InvalidHashError):
            return None
        if self._hasher.check_needs_rehash(row["password_hash"]):
            with self._write() as conn:
                conn.execute(update(users).where(users.c.id == row["id"])
                             .values(password_hash=self._hasher.hash(password)))
        return User(row["id"], row["username"], row["role"], row["display_name"])

    def get_user(self, username: str) -> User:
        with self._read() as conn:
            return self._user(conn, username)

    def accounts(self, actor: User | str) -> pd.DataFrame:
        """Every account (commissioner or chair): username, display_name, role, active (bool).
        No password hashes."""
        with self._read() as conn:
            self._actor(conn, actor, "commissioner", "chair")
            rows = conn.execute(select(users.c.username, users.c.display_name, users.c.role,
                                       users.c.active).order_by(users.c.id)).mappings().all()
        frame = pd.DataFrame(rows, columns=["username", "display_name", "role", "active"])
        return frame.astype({"active": bool})

    def deactivate_user(self, actor: User | str, username: str, note: str) -> None:
        """Deactivate an account (commissioner), e.g. a member who leaves the panel; ``note`` says
        why. The account can no longer sign in, act or be assigned bids; its record, assignments
        and scores stay (the scores still count in the ranking). The last active commissioner
        cannot be deactivated."""
        if not str(note or "").strip():
            raise InputError("deactivating an account needs a note saying why", column="note")
        with self._write() as conn:
            actor = self._actor(conn, actor, "commissioner")
            target = self._user_row(conn, username)
            if not target["active"]:
                raise StoreError(f"{target['username']} is already deactivated")
            if target["role"] == "commissioner":
                active_commissioners = conn.execute(
                    select(func.count()).select_from(users)
                    .where(users.c.role == "commissioner", users.c.active == 1)).scalar()
                if active_commissioners <= 1:
                    raise StoreError(f"{target['username']} is the last active commissioner: "
                                     "add or reactivate another commissioner first")
            conn.execute(update(users).where(users.c.id == target["id"]).values(active=0))
            self._audit(conn, actor, "user.deactivate", f"user {target['username']}",
                        {"active": True}, {"active": False, "note": str(note).strip()})

    def reactivate_user(self, actor: User | str, username: str) -> None:
        """Let a deactivated account sign in and be assigned bids again (commissioner)."""
        with self._write() as conn:
            actor = self._actor(conn, actor, "commissioner")
            target = self._user_row(conn, username)
            if target["active"]:
                raise StoreError(f"{target['username']} is active already")
            conn.execute(update(users).where(users.c.id == target["id"]).values(active=1))
            self._audit(conn, actor, "user.reactivate", f"user {target['username']}",
                        {"active": False}, {"active": True})

    # -- rounds, lots, bids -----------------------------------------------------------------

    def create_round(self, actor: User | str, name: str, rules: Rules) -> int:
        """A new round in state ``scoring`` under ``rules`` (stored, so the round keeps them)."""
        if not isinstance(rules, Rules):
            raise TypeError("rules must be a Rules (see commissioning.procurement.rules.load_rules)")
        with self._write() as conn:
            actor = self._actor(conn, actor, "commissioner")
            return self._insert_round(conn, actor, name, rules)

    def _insert_round(self, conn, actor, name, rules) -> int:
        if conn.execute(select(rounds.c.id).where(rounds.c.name == name)).first():
            raise StoreError(f"a round named {name!r} exists already")
        rid = conn.execute(insert(rounds).values(
            name=name, rules_yaml=yaml.safe_dump(rules.raw, sort_keys=False, allow_unicode=True),
            state="scoring", created_at=_now())).inserted_primary_key[0]
        self._audit(conn, actor, "round.create", f"round {name}", None,
                    {"rules": rules.title, "version": rules.version}, round_id=rid)
        return rid

    def rules(self, round_id: int) -> Rules:
        """The rules the round was created under."""
        with self._read() as conn:
            return self._rules_of(self._round(conn, round_id)["rules_yaml"])

    def rounds(self) -> pd.DataFrame:
        with self._read() as conn:
            return pd.DataFrame(conn.execute(select(rounds.c.id, rounds.c.name, rounds.c.state,
                                                    rounds.c.created_at)).mappings().all())

    def add_lot(self, actor: User | str, round_id: int, name: str) -> int:
        with self._write() as conn:
            actor = self._actor(conn, actor, "commissioner")
            return self._insert_lot(conn, actor, self._round(conn, round_id), name)

    def _insert_lot(self, conn, actor, round_row, name) -> int:
        if round_row["state"] != "scoring":
            raise StoreError(f"round {round_row['name']} is {round_row['state']}: no new lots")
        lid = conn.execute(insert(lots).values(round_id=round_row["id"], name=str(name).strip())
                           ).inserted_primary_key[0]
        self._audit(conn, actor, "lot.add", f"lot {name}", None, {"name": name}, round_id=round_row["id"])
        return lid

    def add_bid(self, actor: User | str, round_id: int, bid_id: str, organisation: str, lot: str,
                price: float, submitted_at: str, gates: dict[str, str], areas: str = "") -> int:
        """Add one bid (commissioner; round in scoring). ``gates``: {gate id: "pass"/"fail"}.

        Validated with the same rules as a bids CSV. Returns the bid's key for the panel API.
        """
        rules = self.rules(round_id)
        frame = pd.DataFrame([{"bid_id": bid_id, "organisation": organisation, "lot": lot,
                               "price": price, "submitted_at": submitted_at, "areas": areas,
                               **{f"gate_{k}": v for k, v in gates.items()}}], dtype=object)
        frame.attrs["source"] = "bid"
        with self._write() as conn:
            actor = self._actor(conn, actor, "commissioner")
            return self._insert_bids(conn, actor, self._round(conn, round_id), rules, frame)[0]

    def _insert_bids(self, conn, actor, round_row, rules: Rules, frame: pd.DataFrame) -> list[int]:
        if round_row["state"] != "scoring":
            raise StoreError(f"round {round_row['name']} is {round_row['state']}: no new bids")
        parsed = prepare_bids(rules, frame)
        lot_ids = dict(conn.execute(select(lots.c.name, lots.c.id)
                                    .where(lots.c.round_id == round_row["id"])).all())
        known = set(conn.execute(select(bids.c.bid_ref).where(bids.c.round_id == round_row["id"])).scalars())
        out = []
        for i, ref in enumerate(parsed["bid_id"]):
            if ref in known:
                raise StoreError(f"bid {ref} exists already in round {round_row['name']}")
            lot = parsed["lot"][i]
            if lot not in lot_ids:
                raise StoreError(f"bid {ref}: no lot {lot!r} in round {round_row['name']} (add it first)")
            row = {"round_id": round_row["id"], "lot_id": lot_ids[lot], "bid_ref": ref,
                   "organisation": parsed["organisation"][i], "price": float(parsed["price"][i]),
                   "submitted_at": parsed["submitted"].iloc[i].isoformat(),
                   "gates": json.dumps({g.id: "fail" if parsed["gate_fail"][i, j] else "pass"
                                        for j, g in enumerate(rules.gates)}),
                   "areas": ";".join(f"{c}:{v:g}" for c, v in (parsed["areas"] or [{}] * len(frame))[i].items())}
            out.append(conn.execute(insert(bids).values(**row)).inserted_primary_key[0])
            self._audit(conn, actor, "bid.add", f"bid {ref}", None,
                        {k: row[k] for k in ("organisation", "price", "submitted_at", "gates", "areas")}
                        | {"lot": lot}, round_id=round_row["id"])
        return out

    def bid_key(self, round_id: int, bid_id: str) -> int:
        """The store's key of bid ``bid_id`` in a round (what the panel API takes)."""
        with self._read() as conn:
            key = conn.execute(select(bids.c.id).where(bids.c.round_id == round_id,
                                                       bids.c.bid_ref == bid_id)).scalar()
        if key is None:
            raise StoreError(f"no bid {bid_id!r} in round {round_id}")
        return key

    def import_round_from_csv(self, actor: User | str, name: str, bids_csv: str | Path,
                              scores_csv: str | Path | None = None, rules: Rules | str | Path | None = None,
                              moderation_csv: str | Path | None = None) -> int:
        """Create a round from CSV files in one transaction (e.g. ``data/example_bids/``).

        Lots come from the bids' ``lot`` column. Scorers named in the scores file become panel
        members (no password) where they do not exist, are assigned the bids they scored, and their
        scores are saved as theirs. With a moderation file the round moves to ``moderation`` and the
        decisions are recorded as the importing actor's. Returns the round id.
        """
        rules = rules if isinstance(rules, Rules) else load_rules(rules)
        bid_frame = read_bids(bids_csv)
        score_frame = read_scores(scores_csv) if scores_csv is not None else None
        mod_frame = read_moderation(moderation_csv) if moderation_csv is not None else None
        parsed_bids = prepare_bids(rules, bid_frame)
        index = pd.Index(parsed_bids["bid_id"])
        marks = prepare_marks(rules, score_frame, index, kind="scores") if score_frame is not None else None
        mods = (prepare_marks(rules, mod_frame, index, kind="moderation")
                if mod_frame is not None and len(mod_frame) else None)
        with self._write() as conn:
            actor = self._actor(conn, actor, "commissioner")
            rid = self._insert_round(conn, actor, name, rules)
            round_row = self._round(conn, rid)
            for lot in dict.fromkeys(parsed_bids["lot"]):
                self._insert_lot(conn, actor, round_row, lot)
            keys = dict(zip(parsed_bids["bid_id"], self._insert_bids(conn, actor, round_row, rules, bid_frame)))
            if marks is not None:
                members = {}
                for scorer in dict.fromkeys(marks["scorer"]):
                    try:
                        members[scorer] = self._user(conn, scorer)
                    except AccessDenied:
                        members[scorer] = self._insert_user(conn, actor, scorer, "panel", None, None)
                refs = parsed_bids["bid_id"][marks["bi"]]
                crits = [rules.criterion_ids[j] for j in marks["ci"]]
                pairs = dict.fromkeys(zip(marks["scorer"], refs))
                for scorer, ref in pairs:
                    self._insert_assignment(conn, actor, members[scorer], keys[ref], rid)
                comments = (score_frame["comment"].astype(str).str.strip().tolist())
                for scorer, ref, crit, value, comment in zip(marks["scorer"], refs, crits,
                                                              marks["score"], comments):
                    self._upsert_score(conn, members[scorer], keys[ref], rid, ref, crit, float(value),
                                       comment or "(imported without a comment)")
            if mods is not None:
                conn.execute(update(rounds).where(rounds.c.id == rid).values(state="moderation"))
                notes = mod_frame["note"].astype(str).str.strip().tolist()
                for ref, crit, value, note in zip(parsed_bids["bid_id"][mods["bi"]],
                                                  [rules.criterion_ids[j] for j in mods["ci"]],
                                                  mods["score"], notes):
                    self._upsert_moderation(conn, actor, keys[ref], rid, ref, crit, float(value), note)
        return rid

    # -- panel set-up -----------------------------------------------------------------------

    def assign(self, actor: User | str, member: User | str, bid: int) -> None:
        """Assign a bid to a scorer (commissioner). Refused when the scorer declared a conflict."""
        with self._write() as conn:
            actor = self._actor(conn, actor, "commissioner")
            member = self._user(conn, member)
            row = self._bid(conn, bid)
            if row["state"] == "locked":
                raise StoreError("the round is locked")
            self._insert_assignment(conn, actor, member, bid, row["round_id"])

    def assign_bids(self, actor: User | str, member: User | str, keys: Iterable[int]) -> int:
        """Assign several bids (their keys) to a scorer in one transaction (commissioner): all or
        none, refused like :meth:`assign`. Returns how many keys were given (already assigned
        ones count)."""
        keys = [int(k) for k in keys]
        with self._write() as conn:
            actor = self._actor(conn, actor, "commissioner")
            member = self._user(conn, member)
            for bid in keys:
                row = self._bid(conn, bid)
                if row["state"] == "locked":
                    raise StoreError("the round is locked")
                self._insert_assignment(conn, actor, member, bid, row["round_id"])
        return len(keys)

    def _insert_assignment(self, conn, actor, member: User, bid: int, round_id: int) -> None:
        if member.role not in SCORING_ROLES:
            raise AccessDenied(f"{member.username} ({member.role}) is not a scorer")
        if not self._user_row(conn, member)["active"]:
            raise StoreError(f"{member.username}'s account is deactivated: no new assignments")
        row = self._bid(conn, bid)
        if self._conflicted(conn, member.id, row["organisation"]):
            raise AccessDenied(f"{member.username} declared a conflict with {row['organisation']}")
        if conn.execute(select(assignments.c.id).where(assignments.c.bid_id == bid,
                                                       assignments.c.user_id == member.id)).first():
            return
        conn.execute(insert(assignments).values(bid_id=bid, user_id=member.id))
        self._audit(conn, actor, "assign", f"bid {row['bid_ref']} to {member.username}", None,
                    {"bid": row["bid_ref"], "scorer": member.username}, round_id=round_id)

    def declare_conflict(self, actor: User | str, organisation: str, note: str,
                         member: User | str | None = None) -> None:
        """Declare a conflict of interest with an organisation (one's own, or for a member as
        commissioner). Withdraws the member's assignments to and scores for that organisation's
        bids in rounds that are not locked (the audit log keeps the withdrawn scores)."""
        if not str(note).strip():
            raise InputError("a conflict declaration needs a note", column="note")
        with self._write() as conn:
            actor = self._actor(conn, actor)
            member = actor if member is None else self._user(conn, member)
            if member.username != actor.username and actor.role != "commissioner":
                raise AccessDenied("only a commissioner records a conflict for someone else")
            key = _org_key(organisation)
            if not self._conflicted(conn, member.id, organisation):
                conn.execute(insert(conflicts).values(user_id=member.id, organisation_key=key,
                                                      organisation=str(organisation).strip(),
                                                      note=str(note).strip(), declared_at=_now()))
                self._audit(conn, actor, "conflict.declare", f"{member.username} / {organisation}",
                            None, {"note": note})
            affected = conn.execute(
                select(bids.c.id, bids.c.bid_ref, bids.c.round_id, bids.c.organisation)
                .join(rounds, rounds.c.id == bids.c.round_id)
                .where(rounds.c.state != "locked")).mappings().all()
            for row in affected:
                if _org_key(row["organisation"]) == key:
                    self._withdraw_scores(conn, actor, member, row)
                    self._delete_assignment(conn, actor, member, row)

    def unassign(self, actor: User | str, member: User | str, bid_keys: Iterable[int], *,
                 withdraw_scores: bool = False) -> int:
        """Take bids (their keys) back from a scorer in one transaction (commissioner): all or none.

        The member's scores for those bids are withdrawn (deleted; the audit log keeps the old
        values). While the round is in ``scoring`` that happens as part of unassigning; once
        moderation is open it is refused unless ``withdraw_scores=True`` says the caller confirmed
        it. Refused in a locked round and for a bid not assigned to the member. Works for a
        deactivated member too. Returns how many assignments were removed.
        """
        keys = list(dict.fromkeys(int(k) for k in bid_keys))
        with self._write() as conn:
            actor = self._actor(conn, actor, "commissioner")
            member = self._user(conn, member)
            rows, scored = [], []
            for bid in keys:
                row = self._bid(conn, bid)
                if row["state"] == "locked":
                    raise StoreError(f"the round is locked: bid {row['bid_ref']} stays assigned")
                if conn.execute(select(assignments.c.id).where(
                        assignments.c.bid_id == bid, assignments.c.user_id == member.id)).first() is None:
                    raise StoreError(f"bid {row['bid_ref']} is not assigned to {member.username}")
                has_scores = conn.execute(select(scores.c.id).where(
                    scores.c.bid_id == bid, scores.c.user_id == member.id)).first() is not None
                if has_scores and row["state"] == "moderation":
                    scored.append(row["bid_ref"])
                rows.append(row)
            if scored and not withdraw_scores:
                raise StoreError(
                    f"moderation is open and {member.username} has scored {', '.join(scored)}: "
                    "confirm that those scores are withdrawn (the audit log keeps them)")
            for row in rows:
                self._withdraw_scores(conn, actor, member, row)
                self._delete_assignment(conn, actor, member, row)
        return len(rows)

    def _withdraw_scores(self, conn, actor: User, member: User, bid_row) -> None:
        """Delete ``member``'s scores for one bid (a row with id, bid_ref, round_id), each audited
        as ``score.withdraw`` with its old score and comment."""
        for old in conn.execute(select(scores).where(scores.c.bid_id == bid_row["id"],
                                                     scores.c.user_id == member.id)).mappings():
            self._audit(conn, actor, "score.withdraw",
                        f"bid {bid_row['bid_ref']} {old['criterion']} by {member.username}",
                        {"score": old["score"], "comment": old["comment"]}, None,
                        round_id=bid_row["round_id"])
        conn.execute(delete(scores).where(scores.c.bid_id == bid_row["id"], scores.c.user_id == member.id))

    def _delete_assignment(self, conn, actor: User, member: User, bid_row) -> None:
        if conn.execute(delete(assignments).where(assignments.c.bid_id == bid_row["id"],
                                                  assignments.c.user_id == member.id)).rowcount:
            self._audit(conn, actor, "unassign", f"bid {bid_row['bid_ref']} from {member.username}",
                        {"bid": bid_row["bid_ref"], "scorer": member.username}, None,
                        round_id=bid_row["round_id"])

    def panel(self, actor: User | str, round_id: int) -> pd.DataFrame:
        """Panel members assigned in a round (commissioner or chair): username, display_name,
        role, bids_assigned."""
        with self._read() as conn:
            self._actor(conn, actor, "commissioner", "chair")
            rows = conn.execute(
                select(users.c.username, users.c.display_name, users.c.role,
                       func.count(assignments.c.bid_id).label("bids_assigned"))
                .join(assignments, assignments.c.user_id == users.c.id)
                .join(bids, bids.c.id == assignments.c.bid_id)
                .where(bids.c.round_id == round_id)
                .group_by(users.c.id).order_by(users.c.username)).mappings().all()
        return pd.DataFrame(rows, columns=["username", "display_name", "role", "bids_assigned"])

    def round_bids(self, actor: User | str, round_id: int) -> pd.DataFrame:
        """A round's bids for panel set-up (commissioner or chair): key, bid_id, organisation, lot.
        No price (the quality panel does not see prices)."""
        with self._read() as conn:
            self._actor(conn, actor, "commissioner", "chair")
            self._round(conn, round_id)
            rows = conn.execute(
                select(bids.c.id.label("key"), bids.c.bid_ref.label("bid_id"), bids.c.organisation,
                       lots.c.name.label("lot"))
                .join(lots, lots.c.id == bids.c.lot_id).where(bids.c.round_id == round_id)
                .order_by(bids.c.bid_ref)).mappings().all()
        return pd.DataFrame(rows, columns=["key", "bid_id", "organisation", "lot"])

    def assignments(self, actor: User | str, round_id: int) -> pd.DataFrame:
        """Who is assigned which bid in a round (commissioner or chair): key, bid_id, organisation,
        username; by bid, then username."""
        with self._read() as conn:
            self._actor(conn, actor, "commissioner", "chair")
            rows = conn.execute(
                select(bids.c.id.label("key"), bids.c.bid_ref.label("bid_id"), bids.c.organisation,
                       users.c.username)
                .join(assignments, assignments.c.bid_id == bids.c.id)
                .join(users, users.c.id == assignments.c.user_id)
                .where(bids.c.round_id == round_id)
                .order_by(bids.c.bid_ref, users.c.username)).mappings().all()
        return pd.DataFrame(rows, columns=["key", "bid_id", "organisation", "username"])

    def conflicts(self, actor: User | str) -> pd.DataFrame:
        """Every conflict-of-interest declaration (commissioner or chair): username, organisation,
        note, declared_at."""
        with self._read() as conn:
            self._actor(conn, actor, "commissioner", "chair")
            rows = conn.execute(
                select(users.c.username, conflicts.c.organisation, conflicts.c.note, conflicts.c.declared_at)
                .join(users, users.c.id == conflicts.c.user_id)
                .order_by(conflicts.c.declared_at)).mappings().all()
        return pd.DataFrame(rows, columns=["username", "organisation", "note", "declared_at"])

    def my_conflicts(self, user: User | str) -> pd.DataFrame:
        """The acting user's own conflict declarations: organisation, note, declared_at."""
        with self._read() as conn:
            user = self._actor(conn, user)
            rows = conn.execute(
                select(conflicts.c.organisation, conflicts.c.note, conflicts.c.declared_at)
                .where(conflicts.c.user_id == user.id).order_by(conflicts.c.declared_at)).mappings().all()
        return pd.DataFrame(rows, columns=["organisation", "note", "declared_at"])

    # -- scoring ----------------------------------------------------------------------------

    def bids_for_scorer(self, user: User | str) -> pd.DataFrame:
        """Bids assigned to ``user`` and not conflicted: key, round_id, bid_id, organisation, lot.

        Prices are not shown to the quality panel.
        """
        with self._read() as conn:
            user = self._actor(conn, user, *SCORING_ROLES)
            rows = conn.execute(
                select(bids.c.id.label("key"), bids.c.round_id, bids.c.bid_ref.label("bid_id"),
                       bids.c.organisation, lots.c.name.label("lot"), rounds.c.state)
                .join(assignments, assignments.c.bid_id == bids.c.id)
                .join(lots, lots.c.id == bids.c.lot_id).join(rounds, rounds.c.id == bids.c.round_id)
                .where(assignments.c.user_id == user.id).order_by(bids.c.round_id, bids.c.bid_ref)
            ).mappings().all()
            keep = [dict(r) for r in rows if not self._conflicted(conn, user.id, r["organisation"])]
        return pd.DataFrame(keep, columns=["key", "round_id", "bid_id", "organisation", "lot", "state"])

    def save_score(self, user: User | str, bid: int, criterion: str, score: float, comment: str) -> None:
        """Save (or change) the acting scorer's own score on one criterion of an assigned bid."""
        self.save_scores(user, [(bid, criterion, score, comment)])

    def save_scores(self, user: User | str, rows: Iterable[tuple[int, str, float, str]]) -> int:
        """Save several of the acting scorer's scores ``(bid, criterion, score, comment)`` in one
        transaction: all are saved or none. Returns how many."""
        with self._write() as conn:
            user = self._actor(conn, user, *SCORING_ROLES)
            count = 0
            for bid, criterion, value, comment in rows:
                row = self._bid(conn, bid)
                if row["state"] == "locked":
                    raise StoreError("the round is locked: scores are final")
                assigned = conn.execute(select(assignments.c.id).where(
                    assignments.c.bid_id == bid, assignments.c.user_id == user.id)).first()
                if not assigned or self._conflicted(conn, user.id, row["organisation"]):
                    raise AccessDenied(f"bid {row['bid_ref']} is not assigned to {user.username}")
                value = self._check_mark(self._rules_of(row["rules_yaml"]), criterion, value)
                if not str(comment or "").strip():
                    raise InputError("a score needs a comment (the reason for it)", column="comment")
                self._upsert_score(conn, user, bid, row["round_id"], row["bid_ref"], criterion,
                                   value, str(comment).strip())
                count += 1
        return count

    @staticmethod
    def _check_mark(rules: Rules, criterion: str, value) -> float:
        try:
            spec = rules.criterion(criterion)
        except KeyError:
            raise InputError(f"unknown criterion {criterion!r}", column="criterion",
                             expected=", ".join(rules.criterion_ids)) from None
        if spec.type != "panel":
            raise InputError(f"criterion {criterion} is scored from the needs assessment", column="criterion")
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise InputError(f"{value!r} is not a number", column="score") from None
        if not rules.scale.min <= value <= spec.max_score:
            raise InputError(f"score {value:g} is outside the scale ({rules.scale.min}..{spec.max_score})",
                             column="score")
        return value

    def _upsert_score(self, conn, user: User, bid: int, round_id: int, ref: str, criterion: str,
                      value: float, comment: str) -> None:
        old = conn.execute(select(scores.c.score, scores.c.comment).where(
            scores.c.bid_id == bid, scores.c.user_id == user.id, scores.c.criterion == criterion)
        ).mappings().first()
        new = {"score": value, "comment": comment}
        if old is None:
            conn.execute(insert(scores).values(bid_id=bid, user_id=user.id, criterion=criterion,
                                               updated_at=_now(), **new))
        else:
            conn.execute(update(scores).where(scores.c.bid_id == bid, scores.c.user_id == user.id,
                                              scores.c.criterion == criterion)
                         .values(updated_at=_now(), **new))
        self._audit(conn, user, "score.save", f"bid {ref} {criterion} by {user.username}",
                    dict(old) if old else None, new, round_id=round_id)

    def _scores_query(self, round_id: int | None = None, user_id: int | None = None):
        query = (select(bids.c.round_id, bids.c.id.label("key"), bids.c.bid_ref.label("bid_id"),
                        users.c.username.label("scorer"), scores.c.criterion, scores.c.score,
                        scores.c.comment, scores.c.updated_at)
                 .join(bids, bids.c.id == scores.c.bid_id).join(users, users.c.id == scores.c.user_id)
                 .order_by(bids.c.round_id, bids.c.bid_ref, users.c.username, scores.c.criterion))
        if round_id is not None:
            query = query.where(bids.c.round_id == round_id)
        if user_id is not None:
            query = query.where(scores.c.user_id == user_id)
        return query

    def my_scores(self, user: User | str) -> pd.DataFrame:
        """The acting user's own scores: round_id, key, bid_id, scorer, criterion, score, comment, updated_at."""
        with self._read() as conn:
            user = self._actor(conn, user)
            rows = conn.execute(self._scores_query(user_id=user.id)).mappings().all()
        return pd.DataFrame(rows, columns=["round_id", "key", "bid_id", "scorer", "criterion", "score",
                                           "comment", "updated_at"])

    def all_scores(self, actor: User | str, round_id: int) -> pd.DataFrame:
        """Every scorer's scores in a round: chair or commissioner, once moderation is open."""
        with self._read() as conn:
            self._actor(conn, actor, "chair", "commissioner")
            state = self._round(conn, round_id)["state"]
            if state == "scoring":
                raise AccessDenied("panel scores stay private until moderation opens")
            rows = conn.execute(self._scores_query(round_id=round_id)).mappings().all()
        return pd.DataFrame(rows, columns=["round_id", "key", "bid_id", "scorer", "criterion", "score",
                                           "comment", "updated_at"])

    # -- moderation and locking ---------------------------------------------------------------

    def _set_state(self, actor, round_id: int, current: str, new: str) -> None:
        with self._write() as conn:
            actor = self._actor(conn, actor, "commissioner")
            row = self._round(conn, round_id)
            if row["state"] != current:
                raise StoreError(f"round {row['name']} is {row['state']}, not {current}")
            conn.execute(update(rounds).where(rounds.c.id == round_id).values(state=new))
            self._audit(conn, actor, f"round.{new}", f"round {row['name']}", {"state": current},
                        {"state": new}, round_id=round_id)

    def open_moderation(self, actor: User | str, round_id: int) -> None:
        """Move a round from scoring to moderation (commissioner)."""
        self._set_state(actor, round_id, "scoring", "moderation")

    def lock_round(self, actor: User | str, round_id: int) -> None:
        """Lock a round after moderation (commissioner): scores and moderation become final."""
        self._set_state(actor, round_id, "moderation", "locked")

    def record_moderation(self, actor: User | str, bid: int, criterion: str, score: float, note: str) -> None:
        """The chair's moderated score for a bid and criterion, with the note saying why."""
        if not str(note or "").strip():
            raise InputError("a moderation decision needs a note saying why", column="note")
        with self._write() as conn:
            actor = self._actor(conn, actor, "chair")
            row = self._bid(conn, bid)
            if row["state"] != "moderation":
                raise StoreError(f"moderation is not open (the round is {row['state']})")
            value = self._check_mark(self._rules_of(row["rules_yaml"]), criterion, score)
            self._upsert_moderation(conn, actor, bid, row["round_id"], row["bid_ref"], criterion,
                                    value, str(note).strip())

    def _upsert_moderation(self, conn, actor, bid, round_id, ref, criterion, value, note) -> None:
        old = conn.execute(select(moderation.c.score, moderation.c.note).where(
            moderation.c.bid_id == bid, moderation.c.criterion == criterion)).mappings().first()
        new = {"score": value, "note": note}
        if old is None:
            conn.execute(insert(moderation).values(bid_id=bid, criterion=criterion, user_id=actor.id,
                                                   decided_at=_now(), **new))
        else:
            conn.execute(update(moderation).where(moderation.c.bid_id == bid, moderation.c.criterion == criterion)
                         .values(user_id=actor.id, decided_at=_now(), **new))
        self._audit(conn, actor, "moderation.record", f"bid {ref} {criterion}",
                    dict(old) if old else None, new, round_id=round_id)

    def audit_log(self, actor: User | str, round_id: int | None = None) -> pd.DataFrame:
        """The audit log (commissioner or chair), oldest first: id, at, username, round_id, action,
        entity, old_value, new_value (JSON text)."""
        with self._read() as conn:
            self._actor(conn, actor, "commissioner", "chair")
            query = select(audit).order_by(audit.c.id)
            if round_id is not None:
                query = query.where(audit.c.round_id == round_id)
            rows = conn.execute(query).mappings().all()
        return pd.DataFrame(rows, columns=[c.name for c in audit.columns])

    # -- to the engine ----------------------------------------------------------------------

    def engine_inputs(self, actor: User | str, round_id: int) -> tuple[Rules, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """``(rules, bids, scores, moderation)`` in the shapes :func:`~commissioning.procurement.scoring.score_bids`
        takes (chair or commissioner, once moderation is open)."""
        panel = self.all_scores(actor, round_id)
        rules = self.rules(round_id)
        with self._read() as conn:
            bid_rows = conn.execute(
                select(bids.c.bid_ref.label("bid_id"), bids.c.organisation, lots.c.name.label("lot"),
                       bids.c.price, bids.c.submitted_at, bids.c.gates, bids.c.areas)
                .join(lots, lots.c.id == bids.c.lot_id).where(bids.c.round_id == round_id)
                .order_by(bids.c.id)).mappings().all()
            mod_rows = conn.execute(
                select(bids.c.bid_ref.label("bid_id"), moderation.c.criterion, moderation.c.score,
                       moderation.c.note)
                .join(bids, bids.c.id == moderation.c.bid_id).where(bids.c.round_id == round_id)
                .order_by(moderation.c.id)).mappings().all()
        bid_frame = pd.DataFrame([
            {**{k: r[k] for k in ("bid_id", "organisation", "lot", "price", "submitted_at", "areas")},
             **{f"gate_{g}": v for g, v in json.loads(r["gates"]).items()}} for r in bid_rows],
            columns=["bid_id", "organisation", "lot", "price", "submitted_at", "areas"]
            + [g.column for g in rules.gates])
        bid_frame.attrs["source"] = "store bids"
        score_frame = panel[["bid_id", "scorer", "criterion", "score", "comment"]].copy()
        score_frame.attrs["source"] = "store scores"
        mod_frame = pd.DataFrame(mod_rows, columns=["bid_id", "criterion", "score", "note"])
        mod_frame.attrs["source"] = "store moderation"
        return rules, bid_frame, score_frame, mod_frame

    def rank(self, actor: User | str, round_id: int, *, shortfall=None) -> ScoringResult:
        """Run the engine on the round as stored."""
        rules, bid_frame, score_frame, mod_frame = self.engine_inputs(actor, round_id)
        return score_bids(rules, bid_frame, score_frame, mod_frame, shortfall=shortfall)
