"""Citations in ``sources.yaml`` revised with each import, and the all-or-nothing write of
the new file and its citations (:mod:`commissioning.needs.commit`)."""

from __future__ import annotations

from pathlib import Path

import yaml

from commissioning.errors import InputError
from commissioning.needs import commit
from commissioning.needs.dataset import (
    read_sources,
)
from commissioning.needs.importers.common import Import
from commissioning.safeio import csv_text

# ---------------------------------------------------------------------------------------------
# sources.yaml

def _revise_sources(sources: list[dict], entry: dict | None, changes: dict[str, dict | None]) -> list[dict]:
    """``sources`` with ``entry`` upserted by id and ``changes[id]`` applied to other entries
    (a dict of fields to set, or None to drop the entry; ids not present are ignored).

    The entry takes the place of the old one with its id, else of the first dropped entry, else
    goes last, so the list keeps its order.
    """
    own = entry is not None and any(s.get("id") == entry["id"] for s in sources)
    out, pending = [], entry
    for source in sources:
        sid = source.get("id")
        if entry is not None and sid == entry["id"]:
            if pending is not None:
                out.append(pending)
                pending = None
            continue
        if sid in changes:
            if changes[sid] is None:
                if pending is not None and not own:
                    out.append(pending)
                    pending = None
                continue
            source = {**source, **changes[sid]}
        out.append(source)
    return out + ([pending] if pending is not None else [])


def _superseded(sources: list[dict], file: str, own_id: str, change: dict | None) -> dict[str, dict | None]:
    """``change`` for every entry (other than ``own_id``) whose ``used_in`` begins with ``file``."""
    return {s.get("id"): change for s in sources
            if s.get("id") != own_id and str(s.get("used_in", "")).startswith(file)}


def source_changes(old: list[dict], new: list[dict]) -> list[str]:
    """One line per ``sources.yaml`` entry added, removed or changed (for ``--dry-run``)."""
    before = {s.get("id"): s for s in old}
    after = {s.get("id"): s for s in new}
    lines = [f"sources.yaml: removed {sid} ({before[sid].get('name', '')})" for sid in before if sid not in after]
    for sid, entry in after.items():
        if sid not in before:
            lines.append(f"sources.yaml: added {sid}: {entry.get('name', '')}, {entry.get('period', '')}")
            continue
        for key in dict.fromkeys([*before[sid], *entry]):
            was, now = before[sid].get(key), entry.get(key)
            if was != now:
                shown = (f"{was!r} -> {now!r}" if key != "note" and len(f"{was}{now}") < 160
                         else "changed" if key in before[sid] and key in entry else "set" if was is None else "removed")
                lines.append(f"sources.yaml: {sid} {key} {shown}")
    return lines


class _SourcesDumper(yaml.SafeDumper):
    """Long prose (notes) as folded ``>-`` blocks, as the file is written by hand."""


_SourcesDumper.add_representer(str, lambda dumper, text: dumper.represent_scalar(
    "tag:yaml.org,2002:str", text, style=">" if len(text) > 80 and " " in text and "\n" not in text
    and text == text.strip() and "  " not in text else None))


def sources_text(sources: list[dict], previous: str = "") -> str:
    """The text of a ``sources.yaml`` holding ``sources``, keeping the comment lines at the top of
    ``previous`` (the current file's text)."""
    header = []
    for line in previous.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            break
        header.append(line)
    header = header or [("# Every source behind the data in this directory, for citations in the app and "
                         "the PDF appendix.")]
    # width 88: PyYAML overshoots it a little when folding, so lines stay under about 100 columns
    body = yaml.dump(sources, Dumper=_SourcesDumper, sort_keys=False, allow_unicode=True, width=88)
    return "\n".join(header).rstrip("\n") + "\n" + body


# ---------------------------------------------------------------------------------------------
# writing

def updated_sources(result: Import, sources: str | Path) -> tuple[list[dict], list[dict]]:
    """The current ``sources.yaml`` list at ``sources`` (empty if there is none) and the list that
    goes with ``result`` (the same list if the importer has no citation)."""
    old = read_sources(Path(sources))
    return old, (result.cite(old) if result.cite is not None else old)


def write_import(result: Import, target: str | Path, sources: str | Path | None = None) -> Path:
    """Write ``result.table`` to ``target`` and, if ``sources`` is given, the updated citations to
    that ``sources.yaml``, all or nothing, even if the process is killed.

    Each file goes to ``NAME.import-part`` and is read back (the table with ``result.validate``,
    the sources with the dataset reader); only when both are good are they committed together by
    :func:`commissioning.needs.commit.commit` (a redo journal: a kill after the commit point is
    finished by the next reader or import, a kill before it leaves the old files). Text cells are
    made formula-safe (:func:`commissioning.safeio.spreadsheet_safe`). An unwritable folder is an
    :class:`InputError`; on any error before the commit point ``target`` and ``sources`` are
    untouched.
    """
    target = Path(target)
    if not target.parent.is_dir():
        raise InputError("output folder does not exist", file=target.parent)
    if target.is_dir():
        raise InputError("is a folder, not a file to write", file=target)
    sources = Path(sources) if sources is not None and result.cite is not None else None
    for folder in {target.parent, *([sources.parent] if sources is not None else [])}:
        commit.recover(folder)
    tmp = commit.part_path(target)
    sources_tmp = commit.part_path(sources) if sources is not None else None
    committing = False
    try:
        tmp.write_text(csv_text(result.table, lineterminator="\n"), encoding="utf-8")
        try:
            result.validate(tmp)
        except InputError as err:
            raise InputError(f"the imported {result.file_name} would not load: {err.message}", file=target,
                             line=err.line, column=err.column, expected=err.expected) from None
        if sources is not None:
            _, new = updated_sources(result, sources)
            previous = sources.read_text(encoding="utf-8") if sources.exists() else ""
            sources_tmp.write_text(sources_text(new, previous), encoding="utf-8")
            if read_sources(sources_tmp) != new:
                raise InputError("the updated sources would not read back as written", file=sources)
        committing = True
        commit.commit([target] + ([sources] if sources is not None else []))
    except OSError as err:
        if committing:
            raise InputError(f"the import was interrupted while replacing the files: {err.strerror or err}",
                             file=target.parent, expected="a writable folder; the next import or load "
                                                          "of this folder completes it") from None
        raise InputError(f"cannot write: {err.strerror or err}", file=target.parent,
                         expected="a folder you may write to") from None
    finally:
        if not committing:
            for part in (tmp, sources_tmp):
                if part is not None and part.parent.is_dir():
                    try:
                        part.unlink(missing_ok=True)
                    except OSError:
                        pass
    return target
