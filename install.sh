#!/usr/bin/env bash
# One command: set up everything in .venv and run the needs assessment on the embedded London data.
#   ./install.sh            (then: .venv/bin/python -m pytest)
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}

# Debian's Chromium (for the real-browser test) and poppler (PDF page images). Never a downloaded browser.
if ! command -v chromium >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium and poppler-utils from Debian's packages..." >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils >/dev/null
  else
    echo "note: chromium/pdftoppm not found and cannot apt-get here; the browser and PDF-image tests will be skipped" >&2
  fi
fi

# axe-core for the browser accessibility test, pinned in package.json / package-lock.json (test-only;
# nothing from node_modules/ is served by the app). Debian's nodejs and npm when npm is missing.
if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing nodejs and npm from Debian's packages..." >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
if command -v npm >/dev/null 2>&1; then
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
else
  echo "note: npm not found; the browser accessibility test (axe-core) is skipped, or fails in CI" >&2
fi

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -r requirements.txt
.venv/bin/python -m commissioning assess
