"""The commissioning toolkit app: ``streamlit run serve.py`` (this script inside ``st.App``, for sessions).

One app, four audiences. The menu lists only the pages the session's role may open
(``auth.allowed_pages``); the others stay reachable by their URL (``/scoring``) so that a link
opened while signed out asks for a sign-in and then shows the page, and every page checks again
with ``auth.require`` before it shows anything. Log in and out in the sidebar: a sign-in is a
session in the store, held by the browser in an HttpOnly cookie when served by ``serve.py``
(``app_pages/_shared.py``: ``sign_in``, ``current_user``, ``sign_out``).
"""

from pathlib import Path

import streamlit as st

from app_pages import _shared as ui
from commissioning import auth
from commissioning.web import appdata

# The tab icon is a file shipped here, so the browser fetches nothing from outside (offline-first).
st.set_page_config(page_title="Victim services commissioning",
                   page_icon=str(Path(__file__).with_name("app_static") / "icon.png"), layout="wide")


def login_form(page_id: str) -> None:
    store = ui.store()
    if store.account_list().empty:
        st.sidebar.info("No accounts yet. Create the first commissioner with "
                        "`python -m commissioning users create --username NAME --role commissioner`, "
                        f"or set {auth.ADMIN_USER_ENV} and {auth.ADMIN_PASSWORD_ENV} before starting the app.")
    with st.sidebar.form("login", border=True):
        st.markdown("**Log in**  \nFor commissioners, panel members and support organisations.")
        username = st.text_input("Username", key="login_username", autocomplete="username")
        password = st.text_input("Password", type="password", key="login_password",
                                 autocomplete="current-password")
        submitted = st.form_submit_button("Log in", type="primary", width="stretch")
    if submitted:
        try:
            user = auth.authenticate(store, username, password, client=ui.client_id())
        except auth.LoginLocked as locked:
            st.sidebar.error(str(locked))
            return
        if user is None:
            st.sidebar.error("Wrong username or password.")
        else:
            appdata.first_run(store)   # the admin account and (COMMISSIONING_DEMO=1) the demo
            ui.sign_in(user)
            # A link opened while signed out (``/scoring``) shows its page after the sign-in; from
            # the public front page the user goes to their own home page.
            st.session_state["go_home"] = page_id == auth.home_page(auth.PUBLIC) or not auth.can_open(user.role, page_id)
            st.rerun()


def account_box(user: auth.User) -> None:
    st.sidebar.markdown(f"Signed in as **{ui.esc(user.username)}**  \n{auth.ROLE_LABELS[user.role]}")
    if st.sidebar.button("Log out", icon=":material/logout:", width="stretch"):
        ui.sign_out()
        st.rerun()


def invitation_form(token: str) -> None:
    """The page an invitation link opens: set a first password, then the invitee is signed in."""
    store = ui.store()
    invited = store.invitation_user(token)
    st.title("Set your password")
    if invited is None:
        st.error("This invitation link has expired or has been used already. Ask a commissioner for a new one.")
        return
    st.markdown(f"Your username is **{ui.esc(invited.username)}** ({auth.ROLE_LABELS[invited.role]}). Choose a "
                f"password of at least {auth.MIN_PASSWORD_LENGTH} characters: a few unrelated words work well.")
    with st.form("invitation"):
        password = st.text_input("Password", type="password", key="invite_password", autocomplete="new-password")
        repeat = st.text_input("Password again", type="password", key="invite_repeat", autocomplete="new-password")
        submitted = st.form_submit_button("Set password and log in", type="primary")
    if submitted:
        with ui.user_errors():
            auth.confirm_password(password, repeat)
            user = store.accept_invitation(token, password)
        ui.sign_in(user)
        del st.query_params[ui.INVITE_PARAM]
        st.session_state["go_home"] = True
        st.rerun()


@st.fragment(run_every=20)
def session_watch() -> None:
    ui.session_watch()


# Less empty space above each page's title than Streamlit's default. Captions in #555 instead of
# Streamlit's faded text (opacity 0.6: 3.8:1 on white, under WCAG AA's 4.5:1): 7.5:1 on white, 7:1 on the sidebar.
st.html("<style>[data-testid='stMainBlockContainer']{padding-top:2.5rem}"
        "[data-testid='stCaptionContainer'],[data-testid='stCaptionContainer'] p"
        "{color:#555 !important;opacity:1 !important}</style>")

user = ui.current_user()
if ui.SIGNED_OUT_KEY in st.session_state:
    st.sidebar.warning(st.session_state.pop(ui.SIGNED_OUT_KEY))
role = auth.role_of(user)
home = auth.home_page(role)
allowed = set(auth.allowed_pages(role))
# The public front page is the default (the root URL) for every role: the default page has no path
# of its own, and each role's home page must keep its URL (``/scoring``) for links and reloads.
pages = {page_id: st.Page(f"app_pages/{page_id}.py", title=page.title, icon=page.icon, url_path=page_id,
                          default=(page_id == auth.home_page(auth.PUBLIC)),
                          visibility="visible" if page_id in allowed else "hidden")
         for page_id, page in auth.PAGES.items()}
navigation = st.navigation(list(pages.values()))
if st.session_state.pop("go_home", False):
    st.switch_page(pages[home])
st.session_state["_page_path"] = navigation.url_path
ui.cookie_call()
invitation = st.query_params.get(ui.INVITE_PARAM)
if user is None and invitation:
    invitation_form(invitation)
    st.stop()
if user is None:
    login_form(navigation.url_path or home)
else:
    account_box(user)
    with st.sidebar:
        session_watch()
st.sidebar.caption("Open data: ONS, MPS (OGL). Refuge locations are confidential and never shown.")
try:
    navigation.run()
finally:
    ui.warm_up()   # after the first page is drawn: fill the other pages' caches in the background
