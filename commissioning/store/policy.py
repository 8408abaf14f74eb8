"""What makes an acceptable username and password; the store enforces it on every path that sets
one (creating an account, setting a password), the CLI and the app check it first for a clear
message.

Passwords follow the NCSC's password guidance (https://www.ncsc.gov.uk/collection/passwords):
length over complexity (at least 12 characters, no composition rules: "three random words" is
a good password), and a deny-list of the most common passwords (``common_passwords.txt``, the
10,000 most common of a public 10-million-password corpus, see its header). A password is also
refused when it is a listed password with digits or symbols around it ("Password1234!"), one
character or pattern repeated (with digits or symbols around it too: "monkeymonkey1"), a run such as
"123456789012", a walk along the keyboard ("qwertyuiopas", "zaq12wsxcde3"), one or two of the
service's own words (:data:`OWN_WORDS`: "mopacmopac12", "correcthorse"), or contains the username.
Usernames are 1 to 64 characters from a safe set: letters, digits and ``. _ @ -``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from commissioning.errors import InputError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256   # argon2 takes any length; this bounds the work one sign-in costs
DENY_LIST = Path(__file__).with_name("common_passwords.txt")
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
_EDGES = re.compile(r"^[\d\W_]+|[\d\W_]+$")
ADVICE = (f"at least {MIN_PASSWORD_LENGTH} characters and not a common password; "
          "three random words make a good one")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The deny-list, lower case."""
    lines = DENY_LIST.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def check_username(username) -> str:
    """The username stripped of surrounding spaces, or InputError when it has characters outside
    the safe set or is empty or longer than 64 characters."""
    name = str(username if username is not None else "").strip()
    if not USERNAME.fullmatch(name):
        raise InputError(f"bad username {name!r}", column="username",
                         expected="1 to 64 letters, digits or . _ @ - (starting with a letter or digit)")
    return name


def as_typed(text) -> str:
    """What someone typed at sign-in, storable: a NUL (which no username holds and PostgreSQL
    cannot store) becomes U+FFFD, so the attempt is still counted, looked up and audited."""
    return str(text).replace("\x00", "\ufffd")


def _is_run(text: str) -> bool:
    """Whether every character is the one before it plus (or minus) one ("abcdef", "9876543210")."""
    steps = {(ord(b) - ord(a)) % 10 if a.isdigit() and b.isdigit() else ord(b) - ord(a)
             for a, b in zip(text, text[1:])}
    return len(steps) == 1 and steps <= {1, -1, 9}


# Keys by row as they sit on a UK keyboard; a walk moves to a neighbouring key each time.
KEY_ROWS = ("1234567890-=", "qwertyuiop[]", "asdfghjkl;'#", "zxcvbnm,./")
KEY_AT = {key: (r, c) for r, row in enumerate(KEY_ROWS) for c, key in enumerate(row)}
# The service's own words and phrases a guesser tries first ("correct horse" is a famous example).
OWN_WORDS = ("mopac", "london", "commissioning", "commissioner", "commission", "idva", "isva", "refuge",
             "victim", "victims", "support", "services", "service", "panel", "score", "scoring", "bids", "bid",
             "correct", "horse", "battery", "staple", "password", "welcome", "letmein", "admin")


def _is_keyboard_walk(text: str) -> bool:
    """Whether at least 80% of the steps go to the same or a neighbouring key ("qwertyuiopas", "zaq12wsxcde3")."""
    keys = [KEY_AT.get(c) for c in text]
    steps = list(zip(keys, keys[1:]))
    near = sum(1 for a, b in steps if a and b and abs(a[0] - b[0]) <= 1 and abs(a[1] - b[1]) <= 1)
    return bool(steps) and near >= 0.8 * len(steps)


def _own_words(text: str) -> int | None:
    """How few of :data:`OWN_WORDS` ``text`` is made of (None when it is not made of them only)."""
    fewest = [0] + [None] * len(text)
    for end in range(1, len(text) + 1):
        for word in OWN_WORDS:
            start = end - len(word)
            if start >= 0 and text[start:end] == word and fewest[start] is not None:
                fewest[end] = min(fewest[end] or fewest[start] + 1, fewest[start] + 1)
    return fewest[-1]


def weakness(password: str, username: str | None = None) -> str | None:
    """Why ``password`` is refused, or None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"password too short ({len(password)} characters)"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"password too long ({len(password)} characters; at most {MAX_PASSWORD_LENGTH})"
    if any(unicodedata.category(c) == "Cc" for c in password):
        return "password contains a control character"
    folded = password.casefold()
    stem = _EDGES.sub("", folded)
    if any(re.fullmatch(r"(.+?)\1+", text, flags=re.DOTALL) for text in (folded, stem) if text):
        return "password is one character or pattern repeated"
    if _is_run(folded):
        return "password is a run of consecutive characters"
    if _is_keyboard_walk(folded.replace(" ", "")):
        return "password is a walk along the keyboard"
    words = _own_words(stem.replace(" ", ""))
    if words is not None and words < 3:
        return "password is made of the service's own words or a well-known phrase"
    denied = common_passwords()
    if folded in denied or stem in denied or stem.replace(" ", "") in denied:
        return "password is one of the most common passwords"
    if username and len(username) >= 3 and username.casefold() in folded:
        return "password contains the username"
    return None


def check_password(password, username: str | None = None) -> str:
    """``password`` unchanged, or InputError saying why it is refused (never echoing it)."""
    password = "" if password is None else str(password)
    reason = weakness(password, username)
    if reason:
        raise InputError(reason, column="password", expected=ADVICE)
    return password
