"""All-or-nothing replacement of several files (an import's table and its sources.yaml).

One rename is atomic, two are not: a process killed between them would leave a new demand.csv
beside old citations. The design is a redo journal (write-ahead log), as databases use:

1. every new file is written complete beside its target as ``NAME.import-part`` and flushed to disk;
2. the journal ``.import-journal.json`` (the list of renames, as paths relative to its folder,
   which is the last target's: the data folder holding ``sources.yaml``) is written to a temporary
   name, flushed and renamed into place: this rename is the commit point;
3. the renames are done in order, then the journal is deleted.

:func:`recover` puts a folder back in a consistent state and runs before any import into the
folder and before :func:`~commissioning.needs.dataset.load_dataset` reads it: with a journal, the
renames still pending are done (roll forward: the import was committed); without one, leftover
``*.import-part`` files are deleted by the next import (roll back: the import never committed). Either way readers
see both new files or both old ones. One import at a time per folder is assumed (the CLI is used
by one commissioner at a time).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from commissioning.errors import InputError

JOURNAL = ".import-journal.json"
PART = ".import-part"


def _after_rename(target: Path) -> None:
    """Called after each rename of a commit; tests replace it to kill the process at that point."""


def part_path(target: Path) -> Path:
    """Where the new content of ``target`` is written before the commit."""
    return target.with_name(target.name + PART)


def _fsync_file(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # e.g. a platform that cannot open folders; the renames are still atomic
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def commit(targets: list[Path]) -> None:
    """Replace every target by its :func:`part_path` file, all or nothing (the parts must exist).
    The journal goes in the last target's folder, which :func:`recover` must be given."""
    targets = [Path(t).absolute() for t in targets]
    folder = targets[-1].parent
    names = [os.path.relpath(t, folder) for t in targets]
    for target in targets:
        _fsync_file(part_path(target))
    journal = folder / JOURNAL
    journal_tmp = folder / (JOURNAL + ".tmp")
    journal_tmp.write_text(json.dumps({"renames": names}), encoding="utf-8")
    _fsync_file(journal_tmp)
    journal_tmp.replace(journal)  # the commit point
    _fsync_dir(folder)
    _roll_forward(folder, names)


def _roll_forward(folder: Path, names: list[str]) -> None:
    for name in names:
        target = folder / name
        part = part_path(target)
        if part.exists():
            part.replace(target)
            _after_rename(target)
            _fsync_dir(target.parent)
    (folder / JOURNAL).unlink(missing_ok=True)


def recover(folder: str | Path, *, discard_parts: bool = True) -> None:
    """Finish (journal present) or undo (no journal) an import into ``folder`` that was interrupted.

    Readers pass ``discard_parts=False``: leftover parts do them no harm, and another process may
    be writing them.
    """
    folder = Path(folder)
    journal = folder / JOURNAL
    try:
        if journal.exists():
            try:
                names = json.loads(journal.read_text(encoding="utf-8"))["renames"]
            except (ValueError, KeyError, TypeError):
                raise InputError("the journal of an interrupted import cannot be read", file=journal,
                                 expected="remove it and import again") from None
            _roll_forward(folder, [str(n) for n in names])
        elif discard_parts and folder.is_dir():
            for part in folder.glob("*" + PART):
                part.unlink()
            (folder / (JOURNAL + ".tmp")).unlink(missing_ok=True)
    except OSError as err:
        raise InputError(f"an interrupted import could not be completed: {err.strerror or err}", file=folder,
                         expected="a writable folder; run the import again") from None
