"""Start-up: how long a short command takes as a whole process, beside Alembic's own.

``zora-db --version`` and ``--help`` (target: ≤ 0.2 s each), and ``heads``
and ``current`` side by side with ``alembic heads`` and ``alembic current``
on the same history and the same database (target: faster than Alembic).
The commands run alternately, so both see the same machine load.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import emit, summary

from zora_db import migrations
from zora_db.compat import bootstrap
from zora_db.paths import DEFAULT_CONFIG, PROJECT_ROOT
from zora_db.throwaway import LocalCluster

RUNS = 15
BIN = Path(sys.executable).parent
TARGET_S = 0.2


def _run(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, cwd=PROJECT_ROOT, check=True, capture_output=True)
    return time.perf_counter() - started


def _side_by_side(ours: list[str], theirs: list[str], env: dict[str, str]) -> dict[str, Any]:
    mine, alembic = [], []
    for _ in range(RUNS):
        mine.append(_run(ours, env))
        alembic.append(_run(theirs, env))
    figures = {"zora_db": summary(mine), "alembic": summary(alembic)}
    ratio = figures["zora_db"]["median_s"] / figures["alembic"]["median_s"]
    return {**figures, "ratio": round(ratio, 2), "faster": ratio < 1}


def main() -> None:
    zora = [str(BIN / "zora-db")]
    alembic = [str(BIN / "alembic"), "-c", str(DEFAULT_CONFIG)]
    with LocalCluster() as cluster:
        url = cluster.create_database()
        bootstrap(url)
        migrations.upgrade(url)
        env = {**os.environ, "DATABASE_URL": url}
        # alembic's env.py reads the same variable (zora_db.urls), so both hit one database.
        alone = {
            name: summary([_run([*zora, flag], env) for _ in range(RUNS)])
            for name, flag in (("version", "--version"), ("help", "--help"))
        }
        emit(
            "startup",
            {
                **{
                    name: {**figures, "target_s": TARGET_S, "met": figures["median_s"] <= TARGET_S}
                    for name, figures in alone.items()
                },
                "heads": _side_by_side([*zora, "heads"], [*alembic, "heads"], env),
                "current": _side_by_side([*zora, "current"], [*alembic, "current"], env),
            },
        )


if __name__ == "__main__":
    main()
