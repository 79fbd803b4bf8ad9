"""zora-db export supabase: files the Supabase CLI applies, building what upgrade builds."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.cli import run_cli
from zora_db import migrations
from zora_db.catalog import introspect
from zora_db.drift import compare


def _export(capsys: pytest.CaptureFixture[str], out: Path) -> dict[str, bytes]:
    result = run_cli(capsys, "export", "supabase", "--out", str(out))
    assert result.code == 0, result.err
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_files_are_named_in_history_order_and_byte_stable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _export(capsys, tmp_path / "a")
    assert _export(capsys, tmp_path / "b") == first
    names = list(first)
    revisions = [i.revision for i in reversed(migrations.history())]
    assert [n.split("_")[1] for n in names] == revisions
    assert names == sorted(names)  # the CLI applies them in name order
    assert all(n[:14].isdigit() for n in names)
    again = run_cli(capsys, "export", "supabase", "--out", str(tmp_path / "a"))
    assert f"0 written, {len(names)} unchanged" in again.out


def test_applied_in_order_they_build_what_upgrade_builds(
    compat_db_url: str, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = _export(capsys, tmp_path)
    for name in files:  # as `supabase db push` does: one transaction per file, in order
        subprocess.run(
            [
                "psql",
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "--single-transaction",
                "-f",
                str(tmp_path / name),
                compat_db_url,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
    assert compare(introspect(db_url), introspect(compat_db_url)) == []
    assert migrations.current(compat_db_url) == (migrations.heads()[0].revision,)
    assert migrations.upgrade(compat_db_url).applied == ()  # zora-db agrees: nothing to do


def test_each_file_holds_one_step_and_no_transaction_control(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = _export(capsys, tmp_path)
    for name, body in files.items():
        text = body.decode()
        assert "\nBEGIN;" not in text and "\nCOMMIT;" not in text, name
        assert text.count("-- Running upgrade") == 1, name
        assert "SET LOCAL lock_timeout" in text, name
