"""moderation (placeholder)."""

import streamlit as st

from app_pages import _shared as ui

ui.guard("moderation")
st.title("moderation")
