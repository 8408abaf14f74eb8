"""Where the embedded default data lives (the repository is the distribution)."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = REPO_ROOT / "data"
DEFAULT_BOUNDARIES = REPO_ROOT / "boroughs_geo" / "london_boroughs.geojson"
DEFAULT_RULES = REPO_ROOT / "scoring_rules" / "default.yaml"
RULES_SCHEMA = REPO_ROOT / "scoring_rules" / "schema.json"
