"""Issue 22 (minor): when the data fails to load, the background cache thread logs one line, not a
traceback (the page that needs the data shows the problem itself)."""

from __future__ import annotations

import logging

from commissioning.errors import InputError


def test_a_failed_warm_up_logs_one_line(caplog, monkeypatch):
    from app_pages import _shared

    def broken(key):
        raise InputError("file not found", file="data/population.csv")

    monkeypatch.setattr(_shared, "_dataset", broken)
    with caplog.at_level(logging.WARNING):
        _shared._warm("key")
    messages = [(r.getMessage(), r.exc_info) for r in caplog.records if "warm-up" in r.getMessage()]
    assert messages == [("cache warm-up stopped: InputError: data/population.csv: file not found", None)]
