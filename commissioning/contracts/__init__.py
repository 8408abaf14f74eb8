"""Contracts: what a locked round's winning bids become (:mod:`.terms`) and how each contract
performs against its lot's key performance indicators, from approved quarterly returns
(:mod:`.performance`). Pure logic; the store keeps the contracts (``store/contracts.py``)."""
