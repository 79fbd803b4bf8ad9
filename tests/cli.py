"""Running the CLI as users do: in-process for speed, or as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

import pytest

from zora_db.cli import main


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> Outcome:
    """Call ``zora-db ARGS`` in this process; returns exit code and captured output."""
    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


def spawn_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start ``zora-db ARGS`` as a separate process."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("ZORA_DATABASE_URL", None) if env is None else None
    return subprocess.Popen(
        [sys.executable, "-m", "zora_db", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=full_env,
    )


def process_cli(*args: str, env: dict[str, str] | None = None) -> Outcome:
    """Run ``zora-db ARGS`` as a separate process to completion."""
    proc = spawn_cli(*args, env=env)
    out, err = proc.communicate(timeout=120)
    return Outcome(proc.returncode, out, err)
