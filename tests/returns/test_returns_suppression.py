"""Suppression never leaves a recoverable cell: the published tables are solved here as an attacker would.

From the *published strings* only, each count column is a set of unknowns (the "suppressed" cells) with
known figures around them; the attacker knows each column adds up to the London row, that refused <=
referrals and satisfied <= surveyed in every row, and that a suppressed cell is at least 1 (zeros are
published). For every suppressed cell the test finds the smallest and largest value consistent with all
that by linear programming, and requires a range at least 10 wide (the primary threshold). This is written
independently of commissioning.returns.suppression (its own constraint building, from text).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from commissioning.returns.publication import SUPPRESSED, build_publication
from commissioning.returns.reader import read_returns

TYPES = ["idva", "isva", "refuge", "ld_advocate"]
EXAMPLE = read_returns("data/returns/returns_illustrative.csv", TYPES).assign(basis="illustrative")
SERVICE_COLUMNS = ["Referrals", "Refused (no capacity)", "Cases open"]
SERVICE_PARTS = [("Refused (no capacity)", "Referrals")]


def parse(text: str):
    """A published cell: a number, None (suppressed) or 0 for 'not reported' (it adds nothing)."""
    if text == SUPPRESSED:
        return None
    if text == "not reported":
        return 0.0
    return float(text.replace(",", ""))


def attack(table: pd.DataFrame, columns: list[str], parts: list[tuple[str, str]]) -> dict:
    """(row, column) -> (lowest, highest) for every suppressed cell of a published table."""
    body = table.set_index("Area")
    cells = {(r, c): parse(body.loc[r, c]) for r in body.index for c in columns}
    unknown = [k for k, v in cells.items() if v is None]
    index = {k: i for i, k in enumerate(unknown)}
    a_eq, b_eq, a_ub, b_ub = [], [], [], []

    def linear(terms):
        row, constant = np.zeros(len(unknown)), 0.0
        for key, sign in terms:
            if key in index:
                row[index[key]] += sign
            else:
                constant += sign * cells[key]
        return row, constant

    for c in columns:
        row, constant = linear([((r, c), -1.0 if r == "London" else 1.0) for r in body.index])
        a_eq.append(row)
        b_eq.append(-constant)
    for r in body.index:
        for part, whole in parts:
            if body.loc[r, part] == "not reported" or body.loc[r, whole] == "not reported":
                continue
            row, constant = linear([((r, part), 1.0), ((r, whole), -1.0)])
            a_ub.append(row)
            b_ub.append(-constant)
    out = {}
    for key, i in index.items():
        bounds = []
        for sense in (1, -1):
            objective = np.zeros(len(unknown))
            objective[i] = sense
            res = linprog(objective, A_ub=np.array(a_ub) if a_ub else None, b_ub=b_ub or None, A_eq=np.array(a_eq),
                          b_eq=b_eq, bounds=[(1, None)] * len(unknown), method="highs")
            assert res.status in (0, 3), res.message          # the published table is consistent
            bounds.append(math.inf if res.status == 3 else sense * res.fun)
        out[key] = tuple(bounds)
    return out


def check(table, columns, parts, raw_small: int):
    ranges = attack(table, columns, parts)
    assert len(ranges) >= raw_small
    for key, (low, high) in ranges.items():
        assert high - low >= 10.0, f"{key} can be narrowed below the primary threshold: [{low}, {high}]"
    return ranges


@pytest.mark.parametrize("quarter", sorted(set(EXAMPLE["quarter"])))
def test_the_example_publications_leave_no_recoverable_cell(quarter):
    pub = build_publication(EXAMPLE, quarter)
    for service, table in pub.services.items():
        small = int(((pub.suppressed[service].values > 0) & (pub.suppressed[service].values < 10)).to_numpy().sum())
        check(table, SERVICE_COLUMNS, SERVICE_PARTS, small)
    # Client satisfaction: the satisfied count is published through its percentage whenever it is shown.
    clients = pub.clients.copy()
    hidden = pub.clients_suppressed.hidden
    clients["Satisfied n"] = [SUPPRESSED if h else f"{v:.0f}" for h, v in
                              zip(hidden["clients_satisfied"], pub.clients_suppressed.values["clients_satisfied"])]
    check(clients, ["Clients asked", "Satisfied n"], [("Satisfied n", "Clients asked")], 0)


def frame(rows):
    out = pd.DataFrame(rows, columns=["provider", "service", "quarter", "code", "capacity", "referrals",
                                      "referrals_refused", "cases_open", "waiting_days_median",
                                      "clients_surveyed", "clients_satisfied"])
    out["basis"] = "real"
    return out


def test_one_small_cell_gets_a_partner_and_two_ones_are_not_given_away():
    rows = [("P", "idva", "2026Q3", code, 1.0, ref, refused, 20, 5.0, math.nan, math.nan)
            for code, ref, refused in [("E09000001", 50, 1), ("E09000002", 40, 12), ("E09000003", 30, 15),
                                       ("E09000004", 25, 1), ("E09000005", 60, 20), ("London", 80, 0)]]
    pub = build_publication(frame(rows), "2026Q3")
    table = pub.services["idva"].set_index("Area")
    assert table.loc["City of London", "Refused (no capacity)"] == SUPPRESSED        # 1: primary
    assert table.loc["London-wide services", "Refused (no capacity)"] == "0"           # zeros are published
    assert table.loc["London", "Refused (no capacity)"] == "49"
    ranges = check(pub.services["idva"], SERVICE_COLUMNS, SERVICE_PARTS, 2)
    # Two primaries (1 and 1) add to 49 - 47 = 2: each is at least 1, so both would be given away; a
    # secondary cell (the smallest published non-zero, 12) joins them.
    assert table.loc["Barking and Dagenham", "Refused (no capacity)"] == SUPPRESSED
    assert table.loc["Barking and Dagenham", "Refused %"] == SUPPRESSED
    assert len(ranges) == 3 and ranges[("City of London", "Refused (no capacity)")] == (1, 12)   # 1 + 12 + 1 = 14, the others at least 1


def test_a_lone_small_total_hides_its_column():
    rows = [("P", "isva", "2026Q3", "E09000001", 1.0, 4, 1, 3, 5.0, 4, 3)]
    pub = build_publication(frame(rows), "2026Q3")
    table = pub.services["isva"].set_index("Area")
    assert (table[["Referrals", "Refused (no capacity)", "Cases open"]] == SUPPRESSED).all().all()
    assert (table["Median days to contact"] == SUPPRESSED).all()
    assert (pub.clients.set_index("Area")["Satisfied"] == SUPPRESSED).all()
