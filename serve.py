"""Run the app with sign-in sessions that survive reloads, new tabs and links:
``streamlit run serve.py`` (or ``uvicorn serve:app``).

``app.py`` is the Streamlit script; this wraps it in ``st.App`` with the two routes that set and
clear the HttpOnly session cookie (``commissioning.web.sessions``). ``streamlit run app.py`` still
works, but then a sign-in lasts only as long as its browser tab.
"""

from pathlib import Path

import streamlit as st

from commissioning.web.sessions import routes

app = st.App(str(Path(__file__).with_name("app.py")), routes=routes())
