"""exports (placeholder)."""

import streamlit as st

from app_pages import _shared as ui

ui.guard("exports")
st.title("exports")
