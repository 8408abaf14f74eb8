"""The one writer (safeio.write_atomic): a file is replaced whole or not at all."""

from __future__ import annotations

import os
import stat

import pytest

from commissioning.errors import InputError
from commissioning.safeio import write_atomic


def test_text_is_written_as_utf8_and_replaces_the_old_file(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    write_atomic(target, "Ealing,£1\n")
    assert target.read_bytes() == "Ealing,£1\n".encode()
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]       # no temporary file left
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644 & ~umask


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing(tmp_path, monkeypatch):
    target = tmp_path / "report.pdf"
    target.write_bytes(b"the old report")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(InputError, match="No space left on device") as err:
        write_atomic(target, b"%PDF-new")
    assert str(target) in str(err.value)
    assert target.read_bytes() == b"the old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]


@pytest.mark.parametrize("where, message", [("missing/out.csv", "output folder does not exist"),
                                            ("folder", "is a folder")])
def test_a_missing_folder_or_a_folder_in_the_way_is_named(tmp_path, where, message):
    (tmp_path / "folder").mkdir()
    with pytest.raises(InputError, match=message):
        write_atomic(tmp_path / where, "x")
