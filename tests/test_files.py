"""One routine writes generated files or checks them: dump-sql, export and gen-types share it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import run_cli
from zora_db.errors import ConfigError
from zora_db.files import sync


def test_writes_new_and_changed_files_and_leaves_equal_ones_untouched(tmp_path: Path) -> None:
    (tmp_path / "same.txt").write_text("same\n")
    (tmp_path / "old.txt").write_text("before\n")
    before = (tmp_path / "same.txt").stat().st_mtime_ns
    synced = sync(tmp_path, {"same.txt": "same\n", "old.txt": "after\n", "sub/new.txt": "new\n"})
    assert synced.updated == ["old.txt", "sub/new.txt"] and synced.unchanged == ["same.txt"]
    assert (tmp_path / "old.txt").read_text() == "after\n"
    assert (tmp_path / "sub" / "new.txt").read_text() == "new\n"
    assert (tmp_path / "same.txt").stat().st_mtime_ns == before


def test_check_writes_nothing_and_shows_the_difference(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("one\n")
    (tmp_path / "gone.txt").write_text("stale\n")
    synced = sync(tmp_path, {"a.txt": "two\n"}, check=True, owned=["a.txt", "gone.txt"])
    assert synced and synced.updated == ["a.txt"] and synced.removed == ["gone.txt"]
    assert "-one" in synced.diff and "+two" in synced.diff and "-stale" in synced.diff
    assert (tmp_path / "a.txt").read_text() == "one\n"
    assert (tmp_path / "gone.txt").exists()
    assert not sync(tmp_path, {"a.txt": "one\n"}, check=True)  # up to date: falsy


def test_only_owned_files_are_removed(tmp_path: Path) -> None:
    (tmp_path / "ours.sql").write_text("x")
    (tmp_path / "README").write_text("someone else's")
    synced = sync(tmp_path, {}, owned=["ours.sql"])
    assert synced.removed == ["ours.sql"]
    assert not (tmp_path / "ours.sql").exists() and (tmp_path / "README").exists()


def test_a_path_that_cannot_be_written_is_a_configuration_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("in the way")
    with pytest.raises(ConfigError, match="cannot write") as info:
        sync(tmp_path, {"file/inside.txt": "x"}, hint="choose another --out")
    assert info.value.exit_code == 3


def test_export_check_fails_on_a_stale_copy_and_passes_on_a_fresh_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "migrations"
    missing = run_cli(capsys, "export", "supabase", "--out", str(out), "--check")
    assert missing.code == 10 and "would update" in missing.err and not out.exists()
    assert run_cli(capsys, "export", "supabase", "--out", str(out)).code == 0
    fresh = run_cli(capsys, "export", "supabase", "--out", str(out), "--check")
    assert fresh.code == 0 and "up to date" in fresh.err
    first = sorted(out.iterdir())[0]
    first.write_text(first.read_text() + "-- edited by hand\n")
    edited = run_cli(capsys, "export", "supabase", "--out", str(out), "--check")
    assert edited.code == 10 and "+-- edited by hand" not in edited.out
    assert "--- edited by hand" in edited.out  # the diff removes the hand edit
