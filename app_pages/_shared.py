"""Streamlit glue shared by the pages: the session's user, the access guard, cached loaders.

Library logic lives in ``commissioning/``; this module only caches it (``st.cache_resource`` for
objects shared read-only across sessions, ``st.cache_data`` for small tables) and renders common
pieces. Per-user state lives in ``st.session_state`` only.
"""

from __future__ import annotations

import importlib
import logging
import threading
from contextlib import contextmanager

import streamlit as st

from commissioning import auth
from commissioning.errors import USER_ERRORS
from commissioning.safeio import csv_text
from commissioning.web import appdata, webmap
from commissioning.web.text import escape_markdown as esc  # user/data text in Markdown: ui.esc(...)

USER_KEY = "user"


SIGNED_OUT_KEY = "signed_out_because"


def current_user() -> auth.User | None:
    """The session's user as the store has it now, re-read on every page run: a deactivated (or
    removed) account is signed out at once, and a changed role takes effect at once."""
    user = st.session_state.get(USER_KEY)
    if user is None:
        return None
    fresh = store().active_user(user.username)
    if fresh is None:
        st.session_state.pop(USER_KEY, None)
        st.session_state[SIGNED_OUT_KEY] = (f"You have been signed out: the account {user.username} "
                                            "is no longer active.")
        return None
    if fresh != user:
        st.session_state[USER_KEY] = fresh
    return fresh


def client_id() -> str:
    """Who is signing in, for throttling: the connection's IP address (behind trusted proxies, the
    ``X-Forwarded-For`` entry they appended: :mod:`commissioning.web.clients`), else this browser
    session's id (local use, where Streamlit gives no address)."""
    import os

    from commissioning.web.clients import forwarded_client, proxy_hops

    forwarded = forwarded_client(st.context.headers.get("X-Forwarded-For"), proxy_hops(os.environ))
    if forwarded:
        return f"ip:{forwarded}"
    if st.context.ip_address:
        return f"ip:{st.context.ip_address}"
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return f"session:{ctx.session_id if ctx else 'unknown'}"


def guard(page_id: str) -> auth.User | None:
    """The page's access check (``auth.require``); stops the page with a message when denied."""
    try:
        return auth.require(current_user(), page_id)
    except auth.AccessDenied as denied:
        st.error(esc(str(denied)))
        st.stop()


@contextmanager
def user_errors(stop: bool = True):
    """Show bad input or a refused store operation as ``st.error`` with its message (never a
    traceback); then stop the page, or with ``stop=False`` carry on below."""
    try:
        yield
    except USER_ERRORS as err:
        st.error(esc(str(err)))
        if stop:
            st.stop()


#: What every role but the commissioner sees when the data set cannot be loaded: no file path,
#: line or value (the detail may hold a refuge's coordinates or the server's folders).
DATA_UNAVAILABLE = "The data could not be loaded."


@contextmanager
def data_errors():
    """Show a data set that fails to load, then stop the page: the commissioner sees the reader's
    message (file, line, column); every other role only :data:`DATA_UNAVAILABLE`."""
    try:
        yield
    except USER_ERRORS as err:
        st.error(esc(str(err)) if auth.role_of(current_user()) == auth.COMMISSIONER else DATA_UNAVAILABLE)
        st.stop()


# ------------------------------------------------------------------------------------------------
# Cached loaders (keyed on the configured data directory / database URL)
# ------------------------------------------------------------------------------------------------

def _data_key() -> str:
    path = appdata.data_dir()
    return "" if path is None else str(path)


@st.cache_resource(show_spinner=False)
def _dataset(key: str):
    from commissioning.needs.dataset import load_dataset

    return load_dataset(key or None)


def dataset():
    with data_errors():
        return _dataset(_data_key())


@st.cache_resource(show_spinner=False)
def _assessment(key: str):
    from commissioning.needs.assessment import run_assessment

    return run_assessment(_dataset(key))


def assessment():
    """The needs assessment of the app's data, computed once per data folder and shared by pages."""
    with data_errors():
        return _assessment(_data_key())


@st.cache_resource(show_spinner=False)
def _priorities(key: str):
    from commissioning.publish.priorities import derive_priorities

    return derive_priorities(_assessment(key))


def published_priorities():
    """The public page's priorities (``derive_priorities`` of the assessment), once per data folder."""
    with data_errors():
        return _priorities(_data_key())


@st.cache_resource(show_spinner=False)
def _groups(key: str):
    from commissioning.publish.priorities import group_provision

    return group_provision(_dataset(key))


def group_provision():
    """Specialist provision for the review's under-served groups, once per data folder."""
    with data_errors():
        return _groups(_data_key())


@st.cache_resource(show_spinner=False)
def boundaries():
    from commissioning.spatial.geo import load_boundaries

    return load_boundaries()


@st.cache_resource(show_spinner=False)
def boundary_features() -> dict:
    return webmap.boundary_features(boundaries())


@st.cache_resource(show_spinner=False)
def _access(key: str, service: str):
    from commissioning.spatial.layers import service_access

    return service_access(_dataset(key), service, boundaries())


def access(service: str):
    with data_errors():
        return _access(_data_key(), service)


@st.cache_resource(show_spinner=False)
def _rules():
    from commissioning.procurement.rules import load_rules

    return load_rules()


def rules():
    with data_errors():
        return _rules()


@st.cache_resource(show_spinner=False, max_entries=32)
def _lots(key: str, k: int, service: str):
    from commissioning.spatial.lots import make_lots

    return make_lots(_dataset(key), k, service, boundaries(), _assessment(key).gaps)


def lots(k: int, service: str):
    """Contiguous lots of the app's data for ``k`` lots balanced on ``service`` (cached per server)."""
    with data_errors():
        return _lots(_data_key(), k, service)


# ------------------------------------------------------------------------------------------------
# Demand over time (the trends page): monthly series, backtests, forecasts, need over the contract
# ------------------------------------------------------------------------------------------------

#: The trends page's measures in the order it offers them (the first one present is its default).
TREND_MEASURES = {"vawg_offences": "VAWG offences", "vawg_victims": "VAWG victims",
                  "sexual_offences": "Sexual offences (rape and other)", "rape_offences": "Rape offences"}
#: How far the trends page forecasts, in months.
FORECAST_MONTHS = 36


@st.cache_resource(show_spinner=False)
def _series(key: str) -> dict:
    from commissioning.demand.series import load_series_dir

    return load_series_dir(_dataset(key).data_dir)


def trend_series() -> dict:
    """{measure: MonthlySeries} from the data folder's ``series/`` (empty when it has none)."""
    return _series(_data_key())


def trend_measures(series: dict) -> list[str]:
    """The measures of ``series`` in the order the trends page offers them."""
    return [m for m in TREND_MEASURES if m in series] + [m for m in series if m not in TREND_MEASURES]


@st.cache_resource(show_spinner="Testing the forecast models against seasonal naive…")
def _backtest(key: str, measure: str):
    from commissioning.demand.forecast import backtest

    return backtest(_series(key)[measure], measure)


def backtest(measure: str):
    """The rolling-origin backtest that chooses ``measure``'s forecast model."""
    return _backtest(_data_key(), measure)


@st.cache_resource(show_spinner=False)
def _forecast(key: str, measure: str, model: str, scale: float):
    from commissioning.demand.forecast import forecast_series

    return forecast_series(_series(key)[measure], measure, FORECAST_MONTHS, model, scale)


def forecast(measure: str, model: str, scale: float):
    """Every borough's forecast of ``measure`` for :data:`FORECAST_MONTHS` months, by ``model``
    with its intervals widened ``scale`` times."""
    return _forecast(_data_key(), measure, model, scale)


@st.cache_resource(show_spinner="Forecasting need for each contract year…")
def _outlook(key: str):
    from commissioning.demand.contract import contract_from_rules, contract_outlook

    return contract_outlook(_dataset(key), contract_from_rules(_rules()), _assessment(key).gaps, series=_series(key))


def contract_outlook():
    """(need per borough, service and contract year; the backtests behind it) over the scoring
    rules' contract period (``contract_from_rules``, which must not be None)."""
    return _outlook(_data_key())


def _warm_trends(key: str) -> None:
    """The trends page's first view: its default measure's backtest and forecast, and the need
    over the contract period (in that order, as the page shows them)."""
    from commissioning.demand.contract import contract_from_rules

    series = _series(key)
    if series:
        measure = trend_measures(series)[0]
        test = _backtest(key, measure)
        _forecast(key, measure, test.chosen, test.scale)
    if contract_from_rules(_rules()) is not None:
        _outlook(key)


# ------------------------------------------------------------------------------------------------
# Warm-up: the first session starts one background thread that fills the caches above, so that
# nobody waits for them later (logging in, the first visit to Lots, moving the lots slider).
# ------------------------------------------------------------------------------------------------

#: Modules a page imports on first use that take a second or more to import on this machine.
SLOW_IMPORTS = ("sklearn.cluster", "commissioning.satisfaction.chart", "commissioning.spatial.scenarios")
#: The lots slider's range on the Lots page (its default first).
LOT_COUNTS = (5, 2, 3, 4, 6, 7, 8)


def warm_up() -> None:
    """Start the warm-up thread, once per server process (no-op on later calls)."""
    _warm_up_thread(_data_key())


@st.cache_resource(show_spinner=False)
def _warm_up_thread(key: str) -> threading.Thread:
    thread = threading.Thread(target=_warm, args=(key,), name="commissioning-warm-up", daemon=True)
    thread.start()
    return thread


def _warm(key: str) -> None:
    """Fill the shared caches in the order people need them: public page, coverage, lots, trends."""
    from commissioning.spatial.lots import ALL

    try:
        ds = _dataset(key)
        _assessment(key)
        _rules()
        _data_notes(key)
        _priorities(key)
        _groups(key)
        boundary_features()
        for service in ds.benchmarks.services:
            _access(key, service)
        for name in SLOW_IMPORTS:
            importlib.import_module(name)
        for k in LOT_COUNTS:
            _lots(key, k, ALL)
        _warm_trends(key)
    except Exception as err:  # the pages compute (and report) the same things themselves when asked
        # One line, not a traceback: the page that needs the data shows the problem in full.
        logging.getLogger(__name__).warning("cache warm-up stopped: %s: %s", type(err).__name__,
                                            str(err).splitlines()[0] if str(err) else "")


# ------------------------------------------------------------------------------------------------
# Common pieces
# ------------------------------------------------------------------------------------------------

@st.cache_resource(show_spinner=False)
def _data_notes(key: str) -> tuple[list[str], list[str]]:
    ds = _dataset(key)
    return ds.illustrative_notes(), ds.estimated_notes()


def illustrative_banner(what: str = "The data shown") -> None:
    """The marks of the app's data set: what is illustrative (a warning) and what is estimated (a note)."""
    with data_errors():
        notes, estimated = _data_notes(_data_key())
    if notes:
        st.warning(f"**Illustrative data.** {what} includes illustrative figures, not real ones: "
                   + esc("; ".join(notes)) + ". See data/sources.yaml.", icon=":material/info:")
    if estimated:
        st.info("**Estimated figures.** These are estimates made from real figures, not recorded ones: "
                + esc("; ".join(estimated)) + ". See data/sources.yaml.", icon=":material/calculate:")


def csv_download(frame, file_name: str, label: str = "Download CSV", key: str | None = None) -> None:
    st.download_button(label, csv_text(frame).encode("utf-8"), file_name=file_name,
                       mime="text/csv", key=key, icon=":material/download:")


# ------------------------------------------------------------------------------------------------
# The store (one engine per database for the whole server; sessions share it, not user state)
# ------------------------------------------------------------------------------------------------

@st.cache_resource(show_spinner=False)
def _store(location: str):
    from commissioning.store import open_store

    store = open_store(location)
    appdata.first_run(store)
    return store


def store():
    with user_errors():
        return _store(appdata.db_location())


def pdf_download(key: str, label: str, file_name: str, build, mime: str = "application/pdf") -> None:
    """A "Build" button that runs ``build(progress)`` under a progress bar, then a download button.

    ``build(progress)`` returns the document (PDF bytes, or HTML text with ``mime="text/html"``)
    and calls ``progress(fraction, message)`` as it goes. It is kept in this session only.
    """
    state_key = f"pdf_{key}"
    icon = ":material/picture_as_pdf:" if mime == "application/pdf" else ":material/html:"
    if st.button(f"Build {label}", key=f"build_{key}", icon=icon):
        bar = st.progress(0.0, text=f"Building {label}…")

        def progress(fraction: float, message: str) -> None:
            bar.progress(min(max(float(fraction), 0.0), 1.0), text=f"{label}: {message}")

        with user_errors(stop=False):
            st.session_state[state_key] = build(progress)
        bar.empty()
    if st.session_state.get(state_key):
        st.download_button(f"Download {label}", st.session_state[state_key], file_name=file_name,
                           mime=mime, key=f"download_{key}", icon=":material/download:")


def now():
    """The app's clock: ``COMMISSIONING_NOW`` when set (rehearsals and tests of deadlines), else UTC now."""
    import os

    from commissioning.procurement import lifecycle

    with user_errors():
        return lifecycle.now_from_env(os.environ) or lifecycle.now_utc()
