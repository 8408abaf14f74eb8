"""The app server the real-browser tests share (one ``streamlit run serve.py`` per test session).

Its temporary store has a commissioner (admin), a chair, a panel member (pat) and a provider
(prov), all with :data:`PASSWORD`; the illustrative example round; and 'Spring round' in scoring
with bids NE-01 and NE-02 assigned to pat.
"""

from __future__ import annotations

import pytest
from harness import streamlit_server

from commissioning import auth
from commissioning.store import open_store
from commissioning.web import appdata

PASSWORD = "browser-test-password"  # throwaway accounts in a temporary database
ACCOUNTS = {"admin": auth.COMMISSIONER, "chair": auth.CHAIR, "pat": auth.PANEL, "prov": auth.PROVIDER}


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    db = tmp / "app.sqlite"
    store = open_store(db)
    for username, role in ACCOUNTS.items():
        auth.create_user(store, username, role, PASSWORD,
                         organisation="Example Support Services" if role == auth.PROVIDER else None)
    appdata.first_run(store, env={appdata.DEMO_ENV: "1"})
    rid = store.import_round_from_csv("admin", "Spring round", appdata.EXAMPLE_DIR / "bids.csv")
    for ref in ("NE-01", "NE-02"):
        store.assign("admin", "pat", store.bid_key(rid, ref))
    store.close()
    env = {"COMMISSIONING_DB": str(db), "COMMISSIONING_ADMIN_USER": "", "COMMISSIONING_ADMIN_PASSWORD": ""}
    with streamlit_server("serve.py", env, tmp / "streamlit.log") as (url, _):
        yield {"url": url, "db": db}
