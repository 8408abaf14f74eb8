"""Rounds, lots and bids: creating a round under its rules and bringing bids in."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import yaml
from sqlalchemy import (
    insert,
    select,
)

from commissioning.errors import StoreError
from commissioning.procurement.bid_files import read_bids, read_moderation, read_scores
from commissioning.procurement.rules import Rules, load_rules
from commissioning.procurement.scoring import prepare_bids, prepare_marks
from commissioning.store.base import User, utc_now
from commissioning.store.schema import bids, lots, rounds


class RoundsMixin:

    def _insert_round(self, conn, actor, name, rules) -> int:
        if conn.execute(select(rounds.c.id).where(rounds.c.name == name)).first():
            raise StoreError(f"a round named {name!r} exists already")
        rid = conn.execute(insert(rounds).values(
            name=name, rules_yaml=yaml.safe_dump(rules.raw, sort_keys=False, allow_unicode=True),
            state="scoring", created_at=utc_now())).inserted_primary_key[0]
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
                                                    rounds.c.created_at, rounds.c.demo)).mappings().all(),
                                columns=["id", "name", "state", "created_at", "demo"])

    def add_lot(self, actor: User | str, round_id: int, name: str) -> int:
        with self._write() as conn:
            actor = self._actor(conn, actor, "manage_round")
            return self._insert_lot(conn, actor, self._round(conn, round_id), name)

    def _insert_lot(self, conn, actor, round_row, name) -> int:
        if round_row["state"] != "scoring":
            raise StoreError(f"round {round_row['name']} is {round_row['state']}: no new lots")
        lid = conn.execute(insert(lots).values(round_id=round_row["id"], name=str(name).strip())
                           ).inserted_primary_key[0]
        self._audit(conn, actor, "lot.add", f"lot {name}", None, {"name": name}, round_id=round_row["id"])
        return lid

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
                raise StoreError(f"bid {ref}: lot {lot!r} is not one of round {round_row['name']}'s lots "
                                 f"({', '.join(sorted(lot_ids)) or 'none'}); nothing was imported")
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
            actor = self._actor(conn, actor, "manage_round")
            rid = self._insert_round(conn, actor, name, rules)
            round_row = self._round(conn, rid)
            for lot in dict.fromkeys(parsed_bids["lot"]):
                self._insert_lot(conn, actor, round_row, lot)
            keys = dict(zip(parsed_bids["bid_id"], self._insert_bids(conn, actor, round_row, rules, bid_frame)))
            if marks is not None:
                self._record_panel_work(conn, actor, round_row, rules, index, keys, score_frame, marks, mod_frame,
                                        mods, blank_comment="(imported without a comment)")
        return rid
