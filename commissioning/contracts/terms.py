"""The terms of the contracts a locked round's winning bids become.

Each lot's winning bid (rank 1, flags decided) becomes one contract: the supplier and its
consortium partners, the lot, the services the lot buys (``Lot.services``), the capacity per
authority from the bid's ``areas`` (provision of the lot's first service type), the value a year on
the rules' price basis (``Rules.annual_value``) and of the initial term (``Rules.term_value``), the
start (``timetable.contract_start``), the initial term (``contract.years``) and the extension years
available (``contract.extension_years``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta

from commissioning.errors import InputError
from commissioning.procurement.rules import Rules


@dataclass(frozen=True)
class ContractTerms:
    bid_id: str
    lot: str
    supplier: str
    partners: tuple[str, ...]
    services: tuple[str, ...]
    capacity_service: str            # the service type the capacity is provision of
    capacity: dict                   # {ONS code: capacity (FTE or spaces)}
    annual_value: float
    term_value: float
    start: dt.date
    years: int
    extension_years: int

    @property
    def end(self) -> dt.date:
        return term_end(self.start, self.years)


def term_end(start: dt.date, years: int) -> dt.date:
    """The last day of ``years`` years from ``start``: the day before the anniversary (1 Oct 2027 +
    3 years -> 30 Sep 2030; from 29 Feb 2028 the anniversary in a common year is 1 March)."""
    anniversary = start + relativedelta(years=years)
    if (start.month, start.day) == (2, 29) and anniversary.day == 28:
        anniversary += dt.timedelta(days=1)
    return anniversary - dt.timedelta(days=1)


def contract_terms(rules: Rules, winners: list[dict]) -> list[ContractTerms]:
    """The terms of a contract per winning bid. ``winners``: one mapping per lot's winning bid with
    ``bid_id, lot, organisation, partners, price, areas`` ({code: capacity})."""
    if rules.contract_years is None or "contract_start" not in rules.timetable or rules.price_basis is None:
        raise InputError("the round's rules set no contract: timetable.contract_start and contract.years "
                         "and contract.price_basis are needed", file=rules.source, column="contract")
    lots = {lot.name: lot for lot in rules.lots}
    out = []
    for bid in winners:
        lot = lots.get(bid["lot"])
        if lot is None or not lot.services:
            raise InputError(f"lot {bid['lot']!r} names no services, so its contract's capacity would be "
                             "provision of nothing", file=rules.source, column="lots[].services")
        out.append(ContractTerms(
            bid_id=bid["bid_id"], lot=lot.name, supplier=bid["organisation"],
            partners=tuple(bid.get("partners") or ()), services=lot.services, capacity_service=lot.services[0],
            capacity=dict(bid["areas"]), annual_value=rules.annual_value(bid["price"]),
            term_value=rules.term_value(bid["price"]), start=rules.timetable["contract_start"],
            years=int(rules.contract_years), extension_years=int(rules.extension_years)))
    return out
