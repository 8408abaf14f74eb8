"""What the app sends to the browser and reads for its pages (no Streamlit import)."""
