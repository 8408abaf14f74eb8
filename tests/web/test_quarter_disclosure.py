"""Issue 22, item 1: every public output of one quarter, attacked together, gives away no suppressed cell.

The quarter: the example returns (data/returns, 2026Q3) with one small cell seeded in, as in the
issue: Kingston upon Thames's providers asked 64 clients and 6 were satisfied. The outputs, taken as
a reader gets them: the returns publication's HTML tables, the satisfaction publication's HTML
client table, and the tables the Performance and Satisfaction pages show (their builders: the
Performance page shows ``pub.services`` and ``pub.clients``, the Satisfaction page
``clients_table(pub)``). Neither page offers a CSV download of these figures (their downloads are the
two documents, attacked here as HTML).

The attacker reads every table as text and knows: each published count; a percentage to the
decimals shown (satisfied of asked, refused of referrals) wherever its denominator is published;
that a borough's figure is the same in every output; that London is the sum of the rows (boroughs
and London-wide services); that satisfied <= asked and refused <= referrals; that a suppressed count
is at least 1 (zeros are published). For every suppressed cell an integer linear program
(scipy.optimize.milp) finds its lowest and highest possible value; the cell is protected when
that range is at least the primary threshold (10: counts 1 to 9 are suppressed) wide.
Written independently of commissioning.returns.suppression.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from document_checks import Page
from scipy.optimize import Bounds, LinearConstraint, milp

from commissioning.publish import returns_document, satisfaction_document
from commissioning.returns.publication import build_publication
from commissioning.returns.reader import read_returns
from commissioning.satisfaction import publication as satisfaction

QUARTER = "2026Q3"
KINGSTON = "E09000021"
THRESHOLD = 10
TYPES = ["idva", "isva", "refuge", "ld_advocate"]
COUNT_COLUMNS = {"Referrals": "referrals", "Refused (no capacity)": "refused", "Cases open": "cases_open",
                 "Clients asked": "asked", "Clients surveyed": "asked"}
SHARES = {"Refused %": ("refused", "referrals"), "Satisfied": ("satisfied", "asked")}
PARTS = [("refused", "referrals"), ("satisfied", "asked")]


def seeded_returns() -> pd.DataFrame:
    rows = read_returns("data/returns/returns_illustrative.csv", TYPES).assign(basis="illustrative")
    rows = rows.loc[rows["quarter"] == QUARTER].reset_index(drop=True)
    kingston = rows.index[rows["code"] == KINGSTON]
    rows.loc[kingston, ["clients_surveyed", "clients_satisfied"]] = math.nan
    rows.loc[kingston[0], ["clients_surveyed", "clients_satisfied"]] = [64.0, 6.0]
    return rows


def public_tables(approved: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """(family, table of display strings) for every public table of the quarter: family is the
    service type, or "clients" for client satisfaction (the same figures wherever they appear)."""
    pub = build_publication(approved, QUARTER)
    survey = satisfaction.build_publication(
        satisfaction.with_approved_returns(satisfaction.load_inputs(), approved), QUARTER)
    tables = [(service, table) for service, table in pub.services.items()]          # Performance page
    tables.append(("clients", pub.clients))                                          # Performance page
    tables.append(("clients", satisfaction.clients_table(survey)))                   # Satisfaction page
    html = Page(returns_document.build_html(pub))                                    # returns publication
    families = [*pub.services, "clients"]
    for family, table in zip(families, html.tables):
        tables.append((family, _frame(table)))
    page = Page(satisfaction_document.build_html(survey))                            # satisfaction publication
    clients = [t for t in page.tables if t["caption"].startswith("Clients satisfied")]
    assert len(clients) == 1
    tables.append(("clients", _frame(clients[0])))
    return tables


def _frame(table: dict) -> pd.DataFrame:
    rows = [[cell[2] for cell in row] for row in table["rows"][1:]]
    return pd.DataFrame(rows, columns=table["cols"])


def attack(tables: list[tuple[str, pd.DataFrame]]) -> tuple[dict, dict]:
    """(lowest, highest) of every suppressed count, and the true-table check: variable -> value."""
    names: dict[tuple, int] = {}

    def var(key):
        return names.setdefault(key, len(names))

    fixed, hidden, shares = {}, set(), []
    areas = defaultdict(set)
    for family, table in tables:
        for record in table.to_dict("records"):
            area = record["Area"]
            areas[family].add(area)
            for column, text in record.items():
                if column in COUNT_COLUMNS:
                    key = (family, COUNT_COLUMNS[column], area)
                    var(key)
                    if text == "suppressed":
                        hidden.add(key)
                    elif text != "not reported":
                        value = float(text.replace(",", ""))
                        assert fixed.setdefault(key, value) == value, f"{key} differs between outputs"
                elif column in SHARES:
                    part, whole = SHARES[column]
                    key = (family, part, area)
                    var(key)
                    if text == "suppressed":
                        hidden.add(key)
                    elif m := re.fullmatch(r"([\d.]+)%", text):
                        half = 0.5 * 10.0 ** -len(m[1].partition(".")[2])
                        shares.append((key, (family, whole, area), float(m[1]), half))
    terms_a, low_a, high_a = [], [], []

    def constraint(terms, low, high):
        terms_a.append(terms)
        low_a.append(low)
        high_a.append(high)

    for family, measure in {(family, measure) for family, measure, _ in names}:
        body = [((family, measure, a), 1.0) for a in areas[family] if a != "London" and (family, measure, a) in names]
        if (family, measure, "London") in names:
            constraint(body + [((family, measure, "London"), -1.0)], 0.0, 0.0)
    for family, measure, area in list(names):
        for part, whole in PARTS:
            if measure == part and (family, whole, area) in names:
                constraint([((family, part, area), 1.0), ((family, whole, area), -1.0)], -np.inf, 0.0)
    for key, whole, pct, half in shares:
        if whole in fixed:     # a share of a published denominator pins the part to a narrow band
            n = fixed[whole]
            constraint([(key, 1.0)], n * (pct - half) / 100 - 1e-9, n * (pct + half) / 100 + 1e-9)
    size = len(names)
    lower, upper = np.zeros(size), np.full(size, np.inf)
    for key, value in fixed.items():
        lower[names[key]] = upper[names[key]] = value
    for key in hidden:
        lower[names[key]] = max(lower[names[key]], 1.0)
    matrix = np.zeros((len(terms_a), size))
    for i, terms in enumerate(terms_a):
        for key, coefficient in terms:
            matrix[i, names[key]] += coefficient
    constraints = LinearConstraint(matrix, low_a, high_a)
    out = {}
    for key in sorted(hidden - set(fixed)):
        bounds = []
        for sense in (1.0, -1.0):
            objective = np.zeros(size)
            objective[names[key]] = sense
            result = milp(objective, constraints=constraints, bounds=Bounds(lower, upper),
                          integrality=np.ones(size))
            assert result.status in (0, 3), result.message    # the outputs are consistent with a true table
            bounds.append(math.inf if result.status == 3 else sense * result.fun)
        out[key] = tuple(bounds)
    recovered = {key: value for key, value in fixed.items() if key in hidden}   # shown in one, hidden in another
    return out, recovered


@pytest.fixture(scope="module")
def outputs():
    return public_tables(seeded_returns())


def test_no_suppressed_cell_of_the_quarter_can_be_worked_out(outputs):
    ranges, shown_elsewhere = attack(outputs)
    assert not shown_elsewhere, f"suppressed in one output, printed in another: {shown_elsewhere}"
    # the seeded small cell is suppressed everywhere and is among those attacked
    assert ("clients", "satisfied", "Kingston upon Thames") in ranges
    assert len(ranges) >= 20
    narrow = {key: (low, high) for key, (low, high) in ranges.items() if high - low < THRESHOLD}
    assert not narrow, f"recovered to within {THRESHOLD}: {narrow}"


def test_every_output_shows_the_same_london_client_total(outputs):
    london = {table.set_index("Area").loc["London", column] for family, table in outputs if family == "clients"
              for column in ("Clients asked", "Clients surveyed") if column in table.columns}
    rows = seeded_returns()
    assert london == {f"{int(rows['clients_surveyed'].sum()):,}"}
