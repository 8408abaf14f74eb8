"""The demonstration data, loaded only on request (``python -m commissioning demo load`` or
``COMMISSIONING_DEMO=1`` for the app) and removable (``demo remove``).

The demo is the ILLUSTRATIVE example round (``data/example_bids/``: twelve fictional bids, a panel
of fictional scorers, their scores and moderation) and the example providers' quarterly returns
(``data/returns/``). Every record it makes is marked (``demo = 1`` on its users, rounds and
returns), so that removal deletes exactly those and nothing a real team entered. The audit log is
append-only: loading and removal are audited, the demo's audit rows stay.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select, update

from commissioning.errors import StoreError
from commissioning.needs.models import load_benchmarks
from commissioning.paths import DEFAULT_DATA_DIR
from commissioning.procurement.bid_files import read_answers
from commissioning.returns.example import load_example
from commissioning.store.base import User
from commissioning.store.schema import bids, lots, metadata, returns, rounds, users

DEMO_BIDS = DEFAULT_DATA_DIR / "example_bids"
DEMO_ROUND = "Example round (illustrative)"


class DemoMixin:

    def demo_loaded(self) -> bool:
        """Whether any demonstration record is in the store."""
        with self._read() as conn:
            return any(conn.execute(select(func.count()).select_from(t).where(t.c.demo == 1)).scalar()
                       for t in (rounds, returns, users))

    def load_demo(self, actor: User | str) -> dict[str, int]:
        """Load the example round and the example returns (commissioner), marked as demonstration
        records. Refused when the demo is loaded already. On any failure what was loaded is removed
        again. Returns {"rounds": 1, "returns": n, "accounts": n}."""
        with self._read() as conn:
            self._actor(conn, actor, "manage_demo")
        if self.demo_loaded():
            raise StoreError("the demonstration data is loaded already (`demo remove` takes it out)")
        before = self._ids()
        try:
            rid = self.import_round_from_csv(actor, DEMO_ROUND, DEMO_BIDS / "bids.csv", DEMO_BIDS / "scores.csv",
                                             moderation_csv=DEMO_BIDS / "moderation.csv")
            self.import_answers(actor, rid, read_answers(DEMO_BIDS / "answers.csv"))
            load_example(self, actor.username if isinstance(actor, User) else actor,
                         list(load_benchmarks(DEFAULT_DATA_DIR / "benchmarks.yaml").services))
        except BaseException:
            self._mark_demo(actor, before, audit=False)
            self.remove_demo(actor)
            raise
        return self._mark_demo(actor, before, audit=True)

    def _ids(self) -> dict[str, set[int]]:
        with self._read() as conn:
            return {t.name: set(conn.execute(select(t.c.id)).scalars()) for t in (rounds, returns, users)}

    def _mark_demo(self, actor, before: dict[str, set[int]], *, audit: bool) -> dict[str, int]:
        counts = {}
        with self._write() as conn:
            actor = self._actor(conn, actor, "manage_demo")
            for table in (rounds, returns, users):
                new = set(conn.execute(select(table.c.id)).scalars()) - before[table.name]
                if new:
                    conn.execute(update(table).where(table.c.id.in_(sorted(new))).values(demo=1))
                counts[{"users": "accounts"}.get(table.name, table.name)] = len(new)
            if audit:
                self._audit(conn, actor, "demo.load", "demonstration data", None, counts)
        return counts

    def remove_demo(self, actor: User | str) -> dict[str, int]:
        """Delete every demonstration record (commissioner), in one transaction: the demo rounds with
        everything that hangs on them, the demo returns, and the demo accounts (deactivated instead
        where a real record refers to one). Returns the counts removed."""
        with self._write() as conn:
            actor = self._actor(conn, actor, "manage_demo")
            round_ids = list(conn.execute(select(rounds.c.id).where(rounds.c.demo == 1)).scalars())
            doomed = {
                "rounds": round_ids,
                "lots": list(conn.execute(select(lots.c.id).where(lots.c.round_id.in_(round_ids))).scalars()),
                "bids": list(conn.execute(select(bids.c.id).where(bids.c.round_id.in_(round_ids))).scalars()),
                "returns": list(conn.execute(select(returns.c.id).where(returns.c.demo == 1)).scalars()),
            }
            # Whatever refers to a doomed row is doomed too, at any depth (a contract's capacity
            # hangs on the contract, which hangs on a bid), including tables added later.
            for table in metadata.sorted_tables:                 # parents before children
                if "id" not in table.c or table.name in doomed:
                    continue
                ids: set = set()
                for fk in table.foreign_keys:
                    target = fk.column.table.name
                    if doomed.get(target):
                        ids |= set(conn.execute(select(table.c.id).where(fk.parent.in_(doomed[target]))).scalars())
                if ids:
                    doomed[table.name] = sorted(ids)
            for table in reversed(metadata.sorted_tables):       # children before parents
                for fk in table.foreign_keys:
                    target = fk.column.table.name
                    if doomed.get(target):
                        conn.execute(delete(table).where(fk.parent.in_(doomed[target])))
            gone_returns = [[r.organisation, r.quarter] for r in conn.execute(
                select(returns.c.organisation, returns.c.quarter).where(returns.c.id.in_(doomed["returns"])))]
            for name in ("rounds", "returns"):
                table = metadata.tables[name]
                conn.execute(delete(table).where(table.c.id.in_(doomed[name])))
            removed, kept = self._remove_demo_users(conn)
            counts = {"rounds": len(round_ids), "returns": len(doomed["returns"]), "accounts": len(removed),
                      "accounts_deactivated": len(kept)}
            # What went, so that `audit verify` knows these records were removed through the log.
            self._audit(conn, actor, "demo.remove", "demonstration data", None,
                        counts | {"round_ids": round_ids, "return_keys": gone_returns, "usernames": removed,
                                  "deactivated": kept})
        return counts

    def _remove_demo_users(self, conn) -> tuple[list[str], list[str]]:
        removed, kept = [], []
        for uid, name in conn.execute(select(users.c.id, users.c.username).where(users.c.demo == 1)).all():
            used = any(conn.execute(select(func.count()).select_from(table).where(fk.parent == uid)).scalar()
                       for table in metadata.sorted_tables for fk in table.foreign_keys
                       if fk.column.table.name == "users")
            if used:
                conn.execute(update(users).where(users.c.id == uid).values(active=0))
                kept.append(name)
            else:
                conn.execute(delete(users).where(users.c.id == uid))
                removed.append(name)
        return removed, kept

