"""The commissioning toolkit app: ``streamlit run app.py``.

One app, four audiences. The menu lists only the pages the session's role may open
(``auth.allowed_pages``) and every page checks again with ``auth.require`` before it shows
anything. Log in and out in the sidebar; per-user state lives in ``st.session_state`` only.
"""

from pathlib import Path

import streamlit as st

from app_pages import _shared as ui
from commissioning import auth
from commissioning.web import appdata

# The tab icon is a file shipped here, so the browser fetches nothing from outside (offline-first).
st.set_page_config(page_title="Victim services commissioning",
                   page_icon=str(Path(__file__).with_name("app_static") / "icon.png"), layout="wide")


def login_form() -> None:
    store = ui.store()
    if store.account_list().empty:
        st.sidebar.info("No accounts yet. Create the first commissioner with "
                        "`python -m commissioning users create --username NAME --role commissioner`, "
                        f"or set {auth.ADMIN_USER_ENV} and {auth.ADMIN_PASSWORD_ENV} before starting the app.")
    with st.sidebar.form("login", border=True):
        st.markdown("**Log in** (commissioners and panel)")
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
            appdata.first_run(store)   # the example round, if the first account was made since startup
            st.session_state[ui.USER_KEY] = user
            st.session_state["go_home"] = True
            st.rerun()


def account_box(user: auth.User) -> None:
    st.sidebar.markdown(f"Signed in as **{ui.esc(user.username)}**  \n{auth.ROLE_LABELS[user.role]}")
    if st.sidebar.button("Log out", icon=":material/logout:", width="stretch"):
        for key in list(st.session_state.keys()):
            del st.session_state[key]
        st.rerun()


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
pages = {page_id: st.Page(f"app_pages/{page_id}.py", title=auth.PAGES[page_id].title,
                          icon=auth.PAGES[page_id].icon, url_path=page_id, default=(page_id == home))
         for page_id in auth.allowed_pages(role)}
navigation = st.navigation(list(pages.values()))
if st.session_state.pop("go_home", False):
    st.switch_page(pages[home])
if user is None:
    login_form()
else:
    account_box(user)
st.sidebar.caption("Open data: ONS, MPS (OGL). Refuge locations are confidential and never shown.")
try:
    navigation.run()
finally:
    ui.warm_up()   # after the first page is drawn: fill the other pages' caches in the background
