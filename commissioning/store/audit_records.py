"""Do the store's records agree with the audit log? Someone with raw access to the database can
change a table without a store call (``UPDATE scores``, ``DELETE FROM moderation``): the log then
no longer describes the records. :func:`record_problems` replays the log (the newest audited write
about each record wins) and compares the result with the tables, for the records that decide an
outcome: round states, bids, scores, moderation, flag decisions, returns and accounts.

Only the fields the log records are compared, and problems name the record and the field, never
its value (bids and scores stay confidential).
"""

from __future__ import annotations

import json

from sqlalchemy import func, select

from commissioning.organisations import organisation_key
from commissioning.store.schema import (
    audit,
    bids,
    flag_decisions,
    lots,
    moderation,
    return_rows,
    returns,
    rounds,
    scores,
    users,
)

BID_FIELDS = ("organisation", "price", "submitted_at", "gates", "areas", "lot")
ROUND_START = ("round.create", "round.publish")


def _return_key(entity: str) -> tuple:
    organisation, _, quarter = entity.removeprefix("return ").rpartition(" ")
    return ("return", organisation_key(organisation), quarter)


def expected_records(conn) -> dict[tuple, dict]:
    """{record key: fields} as the audit log says the records should be (its newest write each)."""
    out: dict[tuple, dict] = {}
    query = select(audit.c.action, audit.c.entity, audit.c.round_id, audit.c.new_value).order_by(audit.c.id)
    for action, entity, round_id, new_json in conn.execute(query):
        new = json.loads(new_json) if new_json else {}
        if action in ("score.save", "score.withdraw", "moderation.record"):
            kind = "moderation" if action == "moderation.record" else "score"
            key = (kind, round_id, entity)
            if action == "score.withdraw":
                out.pop(key, None)
            else:
                out[key] = {"score": float(new["score"]),
                            ("note" if kind == "moderation" else "comment"): new.get("note", new.get("comment"))}
        elif action == "bid.add":
            out[("bid", round_id, entity)] = {k: new[k] for k in BID_FIELDS if k in new}
        elif action in ("bid.submit", "bid.amend"):
            # A support organisation's own bid: sealed, so its audit row names only the version (its
            # content is in bid_versions); the check is that the bid exists.
            out[("bid", round_id, entity)] = {}
        elif action == "bid.withdraw":
            out.pop(("bid", round_id, entity), None)
        elif action == "flag.resolve":
            out.setdefault(("flag", round_id, entity), {"notes": []})["notes"].append(new.get("note"))
        elif entity.startswith("round ") and round_id is not None and (action in ROUND_START or "state" in new):
            out[("round", round_id)] = {"state": new.get("state", "scoring")}
        elif action.startswith("return."):
            fields = {k: new[k] for k in ("status", "rows", "basis") if k in new}
            out[_return_key(entity)] = out.get(_return_key(entity), {}) | fields
        elif action == "demo.remove":      # the demonstration data removed through the log (store.demo)
            gone = set(new.get("round_ids", []))
            for key in [k for k in out if k[0] in ("round", "bid", "score", "moderation", "flag") and k[1] in gone]:
                del out[key]
            for organisation, quarter in new.get("return_keys", []):
                out.pop(("return", organisation_key(organisation), quarter), None)
            for name in new.get("usernames", []):
                out.pop(("user", name), None)
            for name in new.get("deactivated", []):
                out.setdefault(("user", name), {})["active"] = False
        elif action.startswith("user.") and action != "user.password":
            key = ("user", entity.removeprefix("user "))
            fields = {"active": new["active"]} if "active" in new else {}
            if action == "user.add":
                fields = {"role": new.get("role"), "active": True,
                          **({"organisation": new["organisation"]} if "organisation" in new else {})}
            out[key] = out.get(key, {}) | fields
    return out


def current_records(conn) -> dict[tuple, dict]:
    """{record key: fields} as the tables hold them, keyed as :func:`expected_records`."""
    out: dict[tuple, dict] = {}
    for row in conn.execute(select(rounds.c.id, rounds.c.state)).mappings():
        out[("round", row["id"])] = {"state": row["state"]}
    for row in conn.execute(select(bids, lots.c.name.label("lot")).join(lots, lots.c.id == bids.c.lot_id)).mappings():
        out[("bid", row["round_id"], f"bid {row['bid_ref']}")] = {k: row[k] for k in BID_FIELDS}
    query = (select(bids.c.round_id, bids.c.bid_ref, users.c.username, scores.c.criterion, scores.c.score,
                    scores.c.comment)
             .join(bids, bids.c.id == scores.c.bid_id).join(users, users.c.id == scores.c.user_id))
    for row in conn.execute(query).mappings():
        out[("score", row["round_id"], f"bid {row['bid_ref']} {row['criterion']} by {row['username']}")] = {
            "score": float(row["score"]), "comment": row["comment"]}
    query = (select(bids.c.round_id, bids.c.bid_ref, moderation.c.criterion, moderation.c.score, moderation.c.note)
             .join(bids, bids.c.id == moderation.c.bid_id))
    for row in conn.execute(query).mappings():
        out[("moderation", row["round_id"], f"bid {row['bid_ref']} {row['criterion']}")] = {
            "score": float(row["score"]), "note": row["note"]}
    query = (select(bids.c.round_id, bids.c.bid_ref, flag_decisions.c.kind, flag_decisions.c.note)
             .join(bids, bids.c.id == flag_decisions.c.bid_id).order_by(flag_decisions.c.id))
    for row in conn.execute(query).mappings():
        out.setdefault(("flag", row["round_id"], f"bid {row['bid_ref']} {row['kind']}"), {"notes": []}
                       )["notes"].append(row["note"])
    counts = dict(conn.execute(select(return_rows.c.return_id, func.count()).group_by(return_rows.c.return_id)).all())
    for row in conn.execute(select(returns)).mappings():
        out[("return", row["organisation_key"], row["quarter"])] = {
            "status": row["status"], "basis": row["basis"], "rows": counts.get(row["id"], 0)}
    for row in conn.execute(select(users)).mappings():
        out[("user", row["username"])] = {"role": row["role"], "active": bool(row["active"]),
                                          "organisation": row["organisation"] or ""}
    return out


def _label(key: tuple) -> str:
    kind, *rest = key
    if kind in ("round", "user"):
        return f"{kind} {rest[0]}"
    if kind == "return":
        return f"the return for {rest[1]} (organisation key {rest[0]!r})"
    return f"{kind} {rest[1].removeprefix('bid ')} (round {rest[0]})"


def record_problems(conn) -> list[str]:
    """Each record that differs from its newest audited write, or has none, or was removed."""
    expected, current = expected_records(conn), current_records(conn)
    problems = []
    for key in sorted(set(expected) | set(current), key=repr):
        if key not in expected:
            problems.append(f"{_label(key)} has no audited write (changed behind the log's back, "
                            "or the log was cut)")
        elif key not in current:
            problems.append(f"{_label(key)} is in the log but not in the store (removed behind the log's back)")
        else:
            fields = [f for f, v in expected[key].items() if current[key].get(f) != v]
            if fields:
                problems.append(f"{_label(key)} differs from its last audited write ({', '.join(fields)})")
    return problems
