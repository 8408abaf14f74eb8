"""One error type for bad input, with a message that names file, line, column and what was expected.

Every reader in the library raises :class:`InputError`; the CLI prints ``str(err)`` on stderr and
exits 2, and the app shows it in an error box. No traceback reaches a user.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

#: Longest quoted value, column name or message an error repeats: a 200 MB header line gives a
#: short error, not a 200 MB one.
QUOTE_LIMIT = 80
MESSAGE_LIMIT = 600
_QUOTED = re.compile(rf"'[^'\n]{{{QUOTE_LIMIT + 1},}}'|\"[^\"\n]{{{QUOTE_LIMIT + 1},}}\"")


def clip(text, limit: int = QUOTE_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis when cut."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _clip_quotes(message: str) -> str:
    message = _QUOTED.sub(lambda m: clip(m.group(0)[:-1]) + m.group(0)[-1], message)
    return clip(message, MESSAGE_LIMIT)


@dataclass
class InputError(Exception):
    """Bad input.

    ``line`` is the 1-based line of the file as a user sees it in an editor: for a CSV the header
    is line 1 and the first data row is line 2.
    """

    message: str
    file: str | Path | None = None
    line: int | None = None
    column: str | None = None
    expected: str | None = None

    def __post_init__(self) -> None:
        self.message = _clip_quotes(str(self.message))
        if self.column is not None:
            self.column = clip(self.column)
        if self.expected is not None:
            self.expected = clip(self.expected, MESSAGE_LIMIT)
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            where.append(str(self.file))
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        text = (", ".join(where) + ": " if where else "") + self.message
        if self.expected:
            text += f" (expected {self.expected})"
        return text


def csv_line(index: int) -> int:
    """Editor line of the 0-based data row ``index`` of a CSV with one header line."""
    return int(index) + 2


class AccessDenied(PermissionError):
    """The acting user may not do this (role, page, assignment, conflict or ownership); the text is
    safe to show to that user."""


class StoreError(ValueError):
    """The operation does not fit the round's state or the stored data (e.g. the round is locked)."""


#: Every error whose message is meant for the user: the CLI prints it and exits 2, the app shows it.
USER_ERRORS = (InputError, AccessDenied, StoreError)
