"""commissioning: needs assessment, spatial analysis and bid scoring for victim support services.

The library has no Streamlit imports; ``app.py`` and ``python -m commissioning`` are thin
interfaces on top of it.
"""

__version__ = "0.1.0"
