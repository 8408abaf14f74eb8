"""Data shaping for the Streamlit app: configuration, first run, and the tables the pages show.

(About 410 lines: one small function per table a page shows; the returns pages have their own
module, returnsdata.py, and that is the pattern for the next large page.)

The maps are in :mod:`commissioning.web.webmap`. Plain functions with no Streamlit import;
``app_pages/_shared.py`` wraps the slow ones in
``st.cache_data`` / ``st.cache_resource``. Everything returned here is meant for the browser, so
nothing carries a confidential service's coordinates (points come from ``layers.service_points``,
which drops them).

Configuration (environment):

- ``COMMISSIONING_DB``: SQLite path or SQLAlchemy URL of the store (default ``./commissioning.sqlite``)
- ``COMMISSIONING_DATA``: data directory (default: the embedded London data in ``data/``)
- ``COMMISSIONING_DEMO``: ``1`` loads the illustrative demonstration data (example round and returns)
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from commissioning.needs.dataset import Dataset
from commissioning.store.demo import DEMO_BIDS as EXAMPLE_DIR  # noqa: F401 (for the tests and tools)
from commissioning.store.demo import DEMO_ROUND as EXAMPLE_ROUND  # noqa: F401
from commissioning.publish.wording import EXAMPLE_ROUND_NOTE, is_illustrative_round

DB_ENV = "COMMISSIONING_DB"
DATA_ENV = "COMMISSIONING_DATA"
DEFAULT_DB_FILE = "commissioning.sqlite"
DEMO_ENV = "COMMISSIONING_DEMO"

# Status cells: light tints of Okabe-Ito vermillion / orange / bluish green behind black text (the
# text label is always there, so colour is never the only cue; contrast stays above 7:1).
STATUS_COLOURS = {"red": "#F5C09C", "amber": "#F8DE9C", "green": "#9EDBC6", "n/a": "#E6E6E6",
                  "no need": "#E6E6E6"}


def status_style(value: str) -> str:
    """CSS for a status cell (for ``DataFrame.style.map``)."""
    colour = STATUS_COLOURS.get(str(value))
    return f"background-color: {colour}; color: #000" if colour else ""


def db_location(env: dict | None = None) -> str:
    """Where the store is: ``COMMISSIONING_DB`` (a SQLite path or a SQLAlchemy URL) or the default
    ``./commissioning.sqlite``. Pass it to ``store.open_store``."""
    return (env if env is not None else os.environ).get(DB_ENV, "").strip() or DEFAULT_DB_FILE


def data_dir(env: dict | None = None) -> Path | None:
    """The data directory from ``COMMISSIONING_DATA``, or None for the embedded data."""
    value = (env if env is not None else os.environ).get(DATA_ENV, "").strip()
    return Path(value).expanduser() if value else None


def demo_requested(env: dict | None = None) -> bool:
    """Whether ``COMMISSIONING_DEMO=1`` asks the app to load the demonstration data."""
    return (env if env is not None else os.environ).get(DEMO_ENV, "").strip() == "1"


def first_run(store, env: dict | None = None) -> None:
    """Prepare a store for the app: create the admin commissioner from the environment
    (``auth.ensure_admin``; never a default password) and, only when ``COMMISSIONING_DEMO=1`` asks
    for it and a commissioner exists, load the demonstration data (``Store.load_demo``: the
    illustrative example round and returns) unless it is loaded already. A new store otherwise
    holds no rounds and no returns."""
    from commissioning import auth

    auth.ensure_admin(store, env)
    if not demo_requested(env) or store.demo_loaded():
        return
    commissioners = store.account_list().query("role == @auth.COMMISSIONER and active")["username"]
    if not commissioners.empty:
        store.load_demo(commissioners.iloc[0])


TABLE_COLUMNS = {
    "name": "Authority", "provision": "Provision", "need": "Need", "shortfall": "Shortfall",
    "coverage_pct": "Coverage %", "status": "Status", "access_per_100k": "Access per 100k",
}


def service_labels(ds: Dataset) -> dict[str, str]:
    """{service: label} in the benchmarks' order, e.g. {"idva": "IDVA (Independent ...)"}."""
    return {s: b.label for s, b in ds.benchmarks.services.items()}


def coverage_table(gaps: pd.DataFrame, service: str, access: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per authority for ``service``: the gap-table columns plus ``access_per_100k``.

    ``access`` is a ``layers.service_access`` frame (``code``, ``access_per_100k``); without it
    the access column is NaN. Provision, need, shortfall and access are rounded to 0.1 for display;
    coverage is left unrounded, so the map classes it exactly as the status is set (59.6% is red,
    not the amber a rounded 60% would be); :func:`display_table` rounds it to whole percent.
    """
    rows = gaps.loc[gaps["service"] == service].sort_values("code").copy()
    rows["access_per_100k"] = (np.nan if access is None else
                               access.set_index("code")["access_per_100k"].reindex(rows["code"]).to_numpy(float))
    for column in ("provision", "need", "shortfall", "access_per_100k"):
        rows[column] = rows[column].astype(float).round(1) + 0.0   # + 0.0 turns -0.0 into 0.0
    rows["coverage_pct"] = rows["coverage_pct"].astype(float)
    return rows[["code", *TABLE_COLUMNS]].reset_index(drop=True)


def display_table(table: pd.DataFrame, unit: str) -> pd.DataFrame:
    """``table`` with readable headers (units in the names) and coverage to whole percent, for the
    page and the CSV download."""
    out = table.assign(coverage_pct=table["coverage_pct"].astype(float).round(0) + 0.0)
    out = out.rename(columns={"code": "Code", **TABLE_COLUMNS})
    return out.rename(columns={"Provision": f"Provision ({unit})", "Need": f"Need ({unit})",
                               "Shortfall": f"Shortfall ({unit})"})


# ------------------------------------------------------------------------------------------------
# Published rules and priorities (public: built from the rules file and the needs assessment only)
# ------------------------------------------------------------------------------------------------

PRICE_METHODS = {
    "lowest_relative": "price points = price weight × lowest price in the lot ÷ this bid's price",
    "proportional_deviation": ("price points = price weight × max(0, 1 − (this bid's price − lowest price) "
                               "÷ lowest price)"),
}
SECTION_LABELS = {"quality": "Quality", "social_value": "Social value", "price": "Price"}


def rules_summary(rules) -> str:
    """Markdown: weights, scoring formula, price method, thresholds and moderation, in the words the
    engine (scoring.py) applies them."""
    w = rules.weights
    lines = [
        f"**Weights:** quality {w['quality']:g}%, social value {w['social_value']:g}%, price {w['price']:g}% "
        "of the total score.",
        f"**Scale:** every panel criterion is scored from {rules.scale.min} to its maximum "
        f"({rules.scale.max} unless stated) using the descriptors below; each score needs a written reason.",
        "**Section points** = section weight × Σ (criterion weight ÷ 100 × moderated score ÷ criterion maximum).",
        f"**Price:** {PRICE_METHODS.get(rules.price_method, rules.price_method)}, among the bids still in "
        f"the running in each lot. A price below {rules.abnormally_low:.0%} of the lot's median is flagged "
        "for clarification (it stays in the running).",
        f"**Moderation:** the panel's {rules.consensus} score, unless the chair records a moderated score "
        f"with a note; a spread of {rules.spread_flag:g} points or more between panel members is flagged "
        "for discussion.",
        "**Thresholds:** a bid that fails a pass/fail gate, or scores below a criterion's minimum, is not "
        "ranked.",
        "**Ranking:** by total within each lot; ties go to the higher quality score, then social value, "
        "then the earlier submission.",
    ]
    return "\n\n".join(lines)


def criteria_table(rules) -> pd.DataFrame:
    """One row per criterion: id, title, section, weight in section, points in the total, max, minimum, guidance."""
    rows = []
    for c in rules.criteria:
        how = ("needs assessment: share of the bid's capacity placed where provision is short"
               if c.type != "panel" else "panel")
        rows.append({
            "Id": c.id, "Criterion": c.title, "Section": SECTION_LABELS.get(c.section, c.section),
            "Weight in section %": c.weight, "Points in total": round(rules.weights[c.section] * c.weight / 100, 2),
            "Max score": c.max_score, "Minimum to pass": "" if c.min_score is None else f"{c.min_score:g}",
            "Scored by": how, "Guidance": c.guidance,
        })
    rows.append({"Id": "P", "Criterion": "Price", "Section": "Price", "Weight in section %": 100,
                 "Points in total": rules.weights["price"], "Max score": None, "Minimum to pass": "",
                 "Scored by": "formula", "Guidance": PRICE_METHODS.get(rules.price_method, rules.price_method)})
    return pd.DataFrame(rows)


def scale_table(rules) -> pd.DataFrame:
    return pd.DataFrame({"Score": list(rules.scale.descriptors),
                         "Meaning": list(rules.scale.descriptors.values())})


TIMETABLE_LABELS = {"priorities_published": "Priorities and scoring rules published",
                    "bids_invited": "Bids invited", "bids_close": "Bids close", "award": "Contracts awarded"}


def timetable_table(rules) -> pd.DataFrame:
    return pd.DataFrame([{"Milestone": TIMETABLE_LABELS.get(k, k.replace("_", " ").capitalize()),
                          "Date": f"{d.day} {d:%B %Y}"} for k, d in rules.timetable.items()])


def groups_table(ds: Dataset, groups) -> pd.DataFrame:
    """Specialist share of each service type's capacity per under-served group (``priorities.group_provision``)."""
    labels = {s: b.label.split(" (")[0] for s, b in ds.benchmarks.services.items()}
    rows = []
    for g in groups:
        row = {"Group": g.group, "Specialist services": g.services}
        row.update({f"{labels[s]} share %": round(v, 1) for s, v in g.share_pct.items()})
        rows.append(row)
    return pd.DataFrame(rows)


def sources_table(ds: Dataset) -> pd.DataFrame:
    """Every source behind the data (``sources.yaml``): what, who, period, licence, link, and
    whether it is illustrative; the citations the public page shows."""
    return pd.DataFrame([{
        "Source": s.get("name", ""), "Publisher": s.get("publisher", ""), "Period": s.get("period", ""),
        "Licence": s.get("licence", ""), "Used in": s.get("used_in", ""),
        "Illustrative": "yes" if s.get("illustrative") else "no", "Link": s.get("url") or None,
        "Note": " ".join(str(s.get("note", "")).split()),
    } for s in ds.sources])


# ------------------------------------------------------------------------------------------------
# Lots
# ------------------------------------------------------------------------------------------------


def lots_table(lots, ds: Dataset) -> pd.DataFrame:
    """One row per lot: authorities, coverage % of need for each service ("IDVA %", ...), members
    (the long summary is :func:`lots_summary_table`)."""
    labels = {s: b.label.split(" (")[0] for s, b in ds.benchmarks.services.items()}
    s = lots.summary
    wide = s.pivot(index="lot", columns="service", values="coverage_pct").round(0)
    wide = wide[[c for c in labels if c in wide.columns]].rename(columns=lambda c: f"{labels[c]} %")
    first = s.drop_duplicates("lot").set_index("lot")
    out = pd.concat([first[["authorities"]].rename(columns={"authorities": "Authorities"}), wide,
                     first[["members"]].rename(columns={"members": "Members"})], axis=1)
    return out.loc[lots.labels].rename_axis("Lot").reset_index()


def lots_summary_table(lots, ds: Dataset) -> pd.DataFrame:
    """The long lot summary (lot × service) with readable headers and rounded figures, for CSV."""
    labels = {s: b.label.split(" (")[0] for s, b in ds.benchmarks.services.items()}
    units = {s: b.unit for s, b in ds.benchmarks.services.items()}
    s = lots.summary
    return pd.DataFrame({
        "Lot": s["lot"], "Authorities": s["authorities"], "Service": s["service"].map(labels),
        "Unit": s["service"].map(units), "Need": s["need"].round(1), "Provision": s["provision"].round(1),
        "Shortfall": s["shortfall"].round(1), "Coverage %": s["coverage_pct"].round(0), "Members": s["members"],
    })


def scenario_table(diff: pd.DataFrame, ds: Dataset) -> pd.DataFrame:
    """A scenario's before/after rows (``Scenario.diff``) with readable headers; changed rows first."""
    labels = {s: b.label.split(" (")[0] for s, b in ds.benchmarks.services.items()}
    out = pd.DataFrame({
        "Authority": diff["name"], "Service": diff["service"].map(labels),
        "Provision before": diff["provision_before"].round(2), "Provision after": diff["provision_after"].round(2),
        "Shortfall before": diff["shortfall_before"].round(2), "Shortfall after": diff["shortfall_after"].round(2),
        "Status before": diff["status_before"], "Status after": diff["status_after"],
    })
    for when in ("before", "after"):
        if f"access_{when}" in diff.columns:
            out[f"Access {when}"] = diff[f"access_{when}"].round(2)
    changed = (diff["provision_after"] - diff["provision_before"]).abs() > 1e-9
    return pd.concat([out[changed], out[~changed]]).reset_index(drop=True)


def allocation_table(allocation) -> pd.DataFrame:
    """The allocator's before/after table (``Allocation.table``), authorities receiving posts first."""
    t = allocation.table.sort_values(["added", "code"], ascending=[False, True])
    return pd.DataFrame({
        "Authority": t["name"], f"Added ({allocation.unit})": t["added"],
        "Provision before": t["provision_before"].round(2), "Provision after": t["provision_after"].round(2),
        "Shortfall before": t["shortfall_before"].round(2), "Shortfall after": t["shortfall_after"].round(2),
        "Coverage before %": t["coverage_before"].round(0), "Coverage after %": t["coverage_after"].round(0),
    }).reset_index(drop=True)


# ------------------------------------------------------------------------------------------------
# Scoring and moderation
# ------------------------------------------------------------------------------------------------

def scoring_progress(assigned: pd.DataFrame, mine: pd.DataFrame, criteria_per_round: dict[int, int]) -> tuple[int, int]:
    """``(scored, total)`` criterion scores for a panel member.

    ``assigned``: ``Store.bids_for_scorer`` (key, round_id, ...); ``mine``: ``Store.my_scores``;
    ``criteria_per_round``: {round_id: number of panel criteria}. Only scores on assigned bids count.
    """
    total = int(sum(criteria_per_round.get(r, 0) for r in assigned["round_id"]))
    scored = int(mine["key"].isin(set(assigned["key"])).sum()) if len(mine) else 0
    return scored, total


def spread_table(result, moderation: pd.DataFrame) -> pd.DataFrame:
    """Per bid × panel criterion: the panel's scores, n, min, max, spread, consensus, flag, moderated.

    All from the engine's ``result`` (:func:`~commissioning.procurement.scoring.score_bids`, e.g.
    ``Store.rank``), so the page shows what the ranking uses: ``consensus`` under the rules'
    consensus, ``flag`` where a bid in the running reaches the rules' ``spread_flag`` (the ranking
    flags it unless the chair records a moderated score). ``moderation``: bid_id, criterion, note.
    Only bids whose panel scores ``result`` carries (a conflicted actor's are left out).
    """
    columns = ["bid_id", "criterion", "scores", "n", "min", "max", "spread", "consensus", "flag",
               "moderated", "note"]
    scores = result.scores
    if scores.empty:
        return pd.DataFrame(columns=columns)
    g = scores.assign(bid_id=scores["bid_id"].astype(str), criterion=scores["criterion"].astype(str)) \
        .groupby(["bid_id", "criterion"], sort=False)["score"]
    out = pd.DataFrame({"scores": g.apply(lambda s: ", ".join(f"{v:g}" for v in sorted(s))),
                        "n": g.size(), "min": g.min(), "max": g.max()}).reset_index()
    out["spread"] = out["max"] - out["min"]
    bids, criteria = out["bid_id"].to_numpy(), out["criterion"].to_numpy()
    cell = (result.consensus.index.get_indexer(bids), result.consensus.columns.get_indexer(criteria))
    out["consensus"] = result.consensus.to_numpy()[cell]
    out["flag"] = result.wide_spread.to_numpy()[cell]
    chair = result.basis.to_numpy()[cell] == "chair"
    out["moderated"] = np.where(chair, result.moderated.to_numpy()[cell], np.nan)
    notes = ({(str(b), str(c)): str(n) for b, c, n in zip(moderation["bid_id"], moderation["criterion"],
                                                          moderation["note"])} if len(moderation) else {})
    out["note"] = [notes.get(k, "") for k in zip(bids, criteria)]
    order = {c.id: i for i, c in enumerate(result.rules.criteria)}
    out = out.sort_values(["bid_id", "criterion"], key=lambda s: s.map(order) if s.name == "criterion" else s)
    return out[columns].reset_index(drop=True)


def ranking_table(result) -> pd.DataFrame:
    """The ranking with organisation and price, rounded, for the page and the CSV."""
    t = result.table
    return pd.DataFrame({
        "Lot": t["lot"], "Rank": t["rank"].astype("Int64"), "Bid": t["bid_id"], "Organisation": t["organisation"],
        "Quality": t["quality"].round(2), "Social value": t["social_value"].round(2),
        "Price points": t["price"].round(2), "Total": t["total"].round(2), "Price (£)": t["price_amount"],
        "Status": t["status"], "Reasons": t["reasons"],
    }).reset_index(drop=True)


# ------------------------------------------------------------------------------------------------
# Panel set-up, conflicts of interest and the evaluation report
# ------------------------------------------------------------------------------------------------

def bid_label(row) -> str:
    """``"NE-01 — Organisation (lot North East)"`` for a row with bid_id, organisation, lot."""
    return f"{row['bid_id']} — {row['organisation']} (lot {row['lot']})"


def panel_table(accounts: pd.DataFrame, assigned: pd.DataFrame) -> pd.DataFrame:
    """The scoring accounts (panel members and chairs) and their bids in one round.

    ``accounts``: ``Store.account_list`` (username, display_name, role, can_sign_in, ...);
    ``assigned``: ``Store.assignments`` for the round (bid_id, username, ...). One row per scoring
    account: Username, Name, Role, Can sign in ("yes"/"no: set a password"), Bids assigned (count),
    Bids ("NE-01, NE-02").
    """
    from commissioning import auth

    scorers = accounts.loc[accounts["role"].isin([auth.PANEL, auth.CHAIR])]
    by_user = assigned.groupby("username")["bid_id"].agg(list)
    bids_of = [by_user.get(u, []) for u in scorers["username"]]
    return pd.DataFrame({
        "Username": scorers["username"].tolist(), "Name": scorers["display_name"].tolist(),
        "Role": scorers["role"].map(auth.ROLE_LABELS).tolist(),
        "Can sign in": ["yes" if ok else "no: set a password" for ok in scorers["can_sign_in"]],
        "Bids assigned": [len(b) for b in bids_of], "Bids": [", ".join(b) for b in bids_of],
    })


def assigned_labels(round_bids: pd.DataFrame, assigned: pd.DataFrame) -> dict[int, str]:
    """{bid key: label} for the assigned bids: the full label (:func:`bid_label`) where the round's
    bids are visible, else "NE-01 — Organisation" from the assignment (bids sealed again when the
    clock is set back before the deadline, as in a rehearsal)."""
    labels = {int(k): f"{b} — {o}" for k, b, o in zip(assigned["key"], assigned["bid_id"], assigned["organisation"])}
    labels.update({int(r["key"]): bid_label(r) for r in round_bids.to_dict("records")})
    return labels


def assignable_bids(round_bids: pd.DataFrame, assigned: pd.DataFrame, member: str) -> pd.DataFrame:
    """The round's bids (``Store.round_bids``) not yet assigned to ``member`` (``Store.assignments``
    rows for the round). Conflicted bids stay in: the store refuses them with its reason."""
    taken = set(assigned.loc[assigned["username"] == member, "key"])
    return round_bids.loc[~round_bids["key"].isin(taken)].reset_index(drop=True)


def round_conflicts(conflicts: pd.DataFrame, organisations) -> pd.DataFrame:
    """The declarations (``Store.conflicts``: username, organisation, note, declared_at) that name
    an organisation in ``organisations`` (matched as the store matches them:
    ``commissioning.store.names_match``), in the same columns."""
    from commissioning.store import names_match

    organisations = list(organisations)
    keep = conflicts["organisation"].map(lambda declared: names_match([declared], organisations)).astype(bool)
    return conflicts.loc[keep].reset_index(drop=True)


def evaluation_panel(panel: pd.DataFrame, conflicts: pd.DataFrame, organisations) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The round's panel and its conflict register in the shapes ``build_evaluation_pdf`` takes.

    ``panel``: ``Store.panel`` (username, display_name, role, bids_assigned) -> scorer, name, role
    (role as a label, e.g. "Panel chair"). ``conflicts``: ``Store.conflicts`` -> scorer,
    organisation, note, only the declarations naming an organisation in ``organisations`` (the
    round's bidders). An empty register tells the report that nobody declared one.
    """
    from commissioning import auth

    members = pd.DataFrame({"scorer": panel["username"].astype(str), "name": panel["display_name"],
                            "role": panel["role"].map(lambda r: auth.ROLE_LABELS.get(r, r))})
    register = round_conflicts(conflicts, organisations)
    register = register.rename(columns={"username": "scorer"})[["scorer", "organisation", "note"]]
    return members, register


def evaluation_report_pdf(store, actor: str, round_id: int, *, gaps: pd.DataFrame | None = None,
                          progress=None, format: str = "pdf") -> bytes | str:
    """The evaluation report PDF of a round that has reached moderation, as the Exports page
    builds it: ranking (with ``gaps``, the needs assessment, when the rules score need alignment),
    moderation notes, the round's panel (pseudonymised) and the conflict declarations naming its
    bidders. ``actor``: a commissioner or chair (the store checks). ``format="html"``: the
    accessible HTML version (text) instead."""
    from commissioning.publish.pdf.evaluation import (
        build_evaluation_html,
        build_evaluation_pdf,
    )

    rules, bids, _, moderation = store.engine_inputs(actor, round_id)
    shortfall = gaps if any(c.type == "need_alignment" for c in rules.criteria) else None
    result = store.rank(actor, round_id, shortfall=shortfall)
    panel, conflicts = evaluation_panel(store.panel(actor, round_id), store.conflicts(actor),
                                        bids["organisation"].unique())
    name = store.rounds().set_index("id").loc[round_id, "name"]
    note = EXAMPLE_ROUND_NOTE + "." if is_illustrative_round(name) else None
    build = build_evaluation_html if format == "html" else build_evaluation_pdf
    return build(rules, result, moderation=moderation, panel=panel, conflicts=conflicts,
                 round_name=name, illustrative=note, progress=progress)
