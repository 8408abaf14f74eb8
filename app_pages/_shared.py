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
from commissioning.web import appdata, sessions, webmap
from commissioning.web.text import escape_markdown as esc  # user/data text in Markdown: ui.esc(...)

USER_KEY = "user"


SIGNED_OUT_KEY = "signed_out_because"


SESSION_KEY = "session_token"       # the session's token, held server-side in this tab's state
COOKIE_CALL_KEY = "cookie_call"     # the cookie route the next page run calls, and its body


def current_user() -> auth.User | None:
    """The signed-in user as the store has it now, re-read on every page run.

    The user's session (this tab's token, else the browser's session cookie: a reload, a new tab or
    a link) must be live in the store: signing out in any tab, an idle or expired session and a
    deactivated account all sign the tab out at once, and a changed role takes effect at once."""
    token = st.session_state.get(SESSION_KEY)
    if token is None and USER_KEY not in st.session_state:
        token = st.context.cookies.get(sessions.COOKIE)
        if token and token in st.session_state.get("ended_tokens", ()):
            token = None      # the stale cookie of a session this tab ended (the handshake keeps it)
    if token is not None:
        user = store().session_user(token)
        if user is None:
            was = st.session_state.get(USER_KEY)
            if was is None:
                _forget()
            elif store().active_user(was.username) is None:
                _forget(f"You have been signed out: the account {was.username} is no longer active.")
            else:
                with user_errors():
                    limits = sessions.limits()
                _forget("You have been signed out: your session has ended (you signed out in another tab, "
                        f"or it was unused for {_minutes(limits.idle)} or open for "
                        f"{_hours(limits.absolute)}). Please log in again.")
            return None
        st.session_state[SESSION_KEY], st.session_state[USER_KEY] = token, user
        return user
    user = st.session_state.get(USER_KEY)    # set directly (the AppTest tests): re-read the account
    if user is None:
        return None
    fresh = store().active_user(user.username)
    if fresh is None:
        _forget(f"You have been signed out: the account {user.username} is no longer active.")
        return None
    if fresh != user:
        st.session_state[USER_KEY] = fresh
    return fresh


def _minutes(span) -> str:
    minutes = round(span.total_seconds() / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _hours(span) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours:g} hour{'s' if hours != 1 else ''}"


def _forget(message: str | None = None) -> None:
    token = st.session_state.pop(SESSION_KEY, None)
    st.session_state.pop(USER_KEY, None)
    if token:
        st.session_state.setdefault("ended_tokens", set()).add(token)
    if message:
        st.session_state[SIGNED_OUT_KEY] = message


def sign_in(user: auth.User) -> None:
    """Start a session for ``user`` (password checked): in the store, in this tab, and in the
    browser's cookie (through the one-time hand-over, when ``serve.py`` serves the cookie routes)."""
    with user_errors():
        limits = sessions.limits()
    token = store().create_session(user, idle=limits.idle, absolute=limits.absolute)
    st.session_state[SESSION_KEY], st.session_state[USER_KEY] = token, user
    if sessions.routes_mounted():
        code = sessions.HANDOVERS.issue(token, int(limits.absolute.total_seconds()))
        st.session_state[COOKIE_CALL_KEY] = (sessions.SESSION_PATH, code)


def sign_out() -> None:
    """End the session everywhere (the store revokes it: every tab holding it is signed out) and
    clear this tab's state and the browser's cookie."""
    token = st.session_state.get(SESSION_KEY)
    store().end_session(token)
    ended = set(st.session_state.get("ended_tokens", ())) | ({token} if token else set())
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state["ended_tokens"] = ended
    st.session_state["go_home"] = True
    if sessions.routes_mounted():
        st.session_state[COOKIE_CALL_KEY] = (sessions.SIGNOUT_PATH, "")


def cookie_call() -> None:
    """Run the cookie route call queued by :func:`sign_in` or :func:`sign_out` (once)."""
    call = st.session_state.pop(COOKIE_CALL_KEY, None)
    if call is not None:
        st.html(sessions.cookie_script(*call), unsafe_allow_javascript=True)


def session_watch() -> None:
    """Every 20 seconds, check that this tab's session is still live (without counting as use), so
    that a tab left open is signed out soon after its user signs out elsewhere."""
    token = st.session_state.get(SESSION_KEY)
    if token is not None and store().session_user(token, touch=False) is None:
        st.rerun(scope="app")


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


def _provision_key() -> str:
    """Which approved returns the provision resolver sees: a fingerprint of the store's approved
    returns ("" when there are none), so that an approval gives every page the new provision."""
    import pandas as pd

    approved = store().approved_returns()
    return "" if approved.empty else str(int(pd.util.hash_pandas_object(approved, index=False).sum()))


@st.cache_resource(show_spinner=False, max_entries=8)
def _assessment(key: str, provision_key: str):
    from commissioning.returns.provision import assess_with_provision

    approved = store().approved_returns() if provision_key else None
    return assess_with_provision(_dataset(key), approved)


def assessment():
    """The needs assessment of the app's data on the one provision resolver (approved returns of the
    latest quarter, then the register: ``returns.provision.resolve_provision``), computed once per
    data folder and set of approved returns, and shared by pages."""
    with data_errors():
        return _assessment(_data_key(), _provision_key())


@st.cache_resource(show_spinner=False, max_entries=8)
def _priorities(key: str, provision_key: str):
    from commissioning.publish.priorities import derive_priorities

    return derive_priorities(_assessment(key, provision_key))


def published_priorities():
    """The public page's priorities (``derive_priorities`` of the assessment), once per data folder
    and set of approved returns."""
    with data_errors():
        return _priorities(_data_key(), _provision_key())


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
def _lots(key: str, provision_key: str, k: int, service: str):
    from commissioning.spatial.lots import make_lots

    return make_lots(_dataset(key), k, service, boundaries(), _assessment(key, provision_key).gaps)


def lots(k: int, service: str):
    """Contiguous lots of the app's data for ``k`` lots balanced on ``service`` (cached per server)."""
    with data_errors():
        return _lots(_data_key(), _provision_key(), k, service)


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


@st.cache_resource(show_spinner="Forecasting need for each contract year…", max_entries=8)
def _outlook(key: str, provision_key: str):
    from commissioning.demand.contract import contract_from_rules, contract_outlook

    return contract_outlook(_dataset(key), contract_from_rules(_rules()), _assessment(key, provision_key).gaps,
                            series=_series(key))


def contract_outlook():
    """(need per borough, service and contract year; the backtests behind it) over the scoring
    rules' contract period (``contract_from_rules``, which must not be None)."""
    return _outlook(_data_key(), _provision_key())


def _warm_trends(key: str, provision_key: str) -> None:
    """The trends page's first view: its default measure's backtest and forecast, and the need
    over the contract period (in that order, as the page shows them)."""
    from commissioning.demand.contract import contract_from_rules

    series = _series(key)
    if series:
        measure = trend_measures(series)[0]
        test = _backtest(key, measure)
        _forecast(key, measure, test.chosen, test.scale)
    if contract_from_rules(_rules()) is not None:
        _outlook(key, provision_key)


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
        provision_key = _provision_key()
        _assessment(key, provision_key)
        _rules()
        _data_notes(key)
        _priorities(key, provision_key)
        _groups(key)
        boundary_features()
        for service in ds.benchmarks.services:
            _access(key, service)
        for name in SLOW_IMPORTS:
            importlib.import_module(name)
        for k in LOT_COUNTS:
            _lots(key, provision_key, k, ALL)
        _warm_trends(key, provision_key)
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


def confirm(message: str) -> None:
    """A confirmation shown where the user is looking, whatever they scrolled to (a toast beside the
    page's lower edge), and at the top of the page, where it stays after the toast fades."""
    st.toast(message, icon=":material/check_circle:")
    st.success(message, icon=":material/check_circle:")


def london_times(frame, *columns):
    """``frame`` with the store's UTC times in ``columns`` as London time, the zone named."""
    from commissioning.procurement.lifecycle import london_text

    return frame.assign(**{c: frame[c].map(london_text) for c in columns if c in frame.columns})


INVITE_PARAM = "invite"


def app_url() -> str:
    """The app's root URL for links: ``COMMISSIONING_BASE_URL``, else the address this browser used."""
    import os

    base = os.environ.get("COMMISSIONING_BASE_URL", "").strip()
    if not base:
        url = st.context.url or "http://localhost:8501"
        here = st.session_state.get("_page_path", "")
        base = url[: -len(here) - 1] if here and url.endswith("/" + here) else url
    return base.rstrip("/")


def invite(username: str, role: str, display_name: str, organisation: str | None, email: str) -> None:
    """Create an invitation (the store audits it) and email its link, or keep it for
    :func:`invitation_notice` to show; raises the store's or the mailer's InputError."""
    from commissioning.procurement.lifecycle import london_text
    from commissioning.store.sessions import INVITATION_LIMIT
    from commissioning.web import mail

    smtp = mail.smtp_config()
    user = current_user()
    token = store().invite_user(user.username, username.strip(), role, display_name=display_name.strip() or None,
                                organisation=organisation, email=email)
    link = f"{app_url()}/?{INVITE_PARAM}={token}"
    expires = london_text(now() + INVITATION_LIMIT)
    label = auth.ROLE_LABELS[role]
    notice = {"username": username.strip(), "link": link, "expires": expires, "sent_to": None}
    if smtp is not None and email.strip():
        try:
            mail.send_invitation(smtp, email.strip(), username.strip(), label, link, expires)
            notice.update(link=None, sent_to=email.strip())
        except USER_ERRORS as err:
            notice["error"] = str(err)
    st.session_state["invitation_notice"] = notice


def invitation_notice() -> None:
    """Where the commissioner is looking (under the form): the invitation just made, its link to
    pass on when it was not emailed."""
    notice = st.session_state.get("invitation_notice")
    if not notice:
        return
    if notice["sent_to"]:
        st.success(esc(f"Invitation for {notice['username']} emailed to {notice['sent_to']}; the link works "
                       f"once, until {notice['expires']}."), icon=":material/mark_email_read:")
        return
    if notice.get("error"):
        st.warning(esc(notice["error"]), icon=":material/warning:")
    st.success(esc(f"Invitation for {notice['username']} created. Pass this link on to them (by a channel "
                   f"only they read); it works once, until {notice['expires']}:"), icon=":material/link:")
    st.code(notice["link"], language=None)


def now():
    """The app's clock: ``COMMISSIONING_NOW`` when set (rehearsals and tests of deadlines), else UTC now."""
    import os

    from commissioning.procurement import lifecycle

    with user_errors():
        return lifecycle.now_from_env(os.environ) or lifecycle.now_utc()
