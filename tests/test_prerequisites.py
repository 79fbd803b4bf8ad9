"""scripts/prerequisites.sh: what `make demo` and `make test` install, or name when they cannot."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.conftest import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "scripts" / "prerequisites.sh"


def _run(tmp_path: Path, lib_root: Path, *, uid: int) -> subprocess.CompletedProcess[str]:
    """The script on a machine where it may not install (not root, or no apt-get)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("ls", "basename", "dirname", "bash", "cat", "node", "npm"):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    fake_id = bin_dir / "id"
    fake_id.write_text(f"#!/bin/sh\necho {uid}\n")
    fake_id.chmod(0o755)
    env = {**os.environ, "PATH": str(bin_dir), "ZORA_PG_LIB_ROOT": str(lib_root)}
    return subprocess.run(
        ["bash", str(SCRIPT)], capture_output=True, text=True, env=env, check=False
    )


def test_without_postgresql_and_no_way_to_install_it_says_the_command(tmp_path: Path) -> None:
    done = _run(tmp_path, tmp_path / "nothing-here", uid=1000)
    assert done.returncode == 3
    assert done.stderr.strip() == (
        "zora-db needs the PostgreSQL server binaries: run `sudo apt-get install "
        "postgresql-15 postgresql-15-wal2json`, then make again"
    )


def test_a_major_without_wal2json_is_named(tmp_path: Path) -> None:
    lib_root = tmp_path / "postgresql"
    (lib_root / "16" / "bin").mkdir(parents=True)
    (lib_root / "16" / "lib").mkdir()
    (lib_root / "16" / "bin" / "initdb").touch()
    done = _run(tmp_path, lib_root, uid=1000)
    assert done.returncode == 3
    assert "sudo apt-get install postgresql-16-wal2json" in done.stderr
