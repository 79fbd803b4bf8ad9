"""Throwaway PostgreSQL: cluster ready (first and template reused), clone per test.

Targets (2 cores): first ≤ 1.0 s, reused ≤ 0.5 s, clone ≤ 150 ms (medians).
pytest-postgresql's process executor (initdb + pg_ctl start) is timed side by
side; it refuses to run as root, so as root it runs as the server's OS user.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import emit, summary, timed

from zora_db.ports import free_port
from zora_db.throwaway import LocalCluster
from zora_db.throwaway.binaries import find_binaries, forget_binaries, server_user
from zora_db.throwaway.local import runtime_root

RUNS = 5
CLONES = 20
MAJORS = (15, 17)  # Supabase's current major beside the one this project started on


def first_start(major: int | None = None) -> float:
    """A cold machine: no cached template, binaries not yet looked up."""
    cache = Path(tempfile.mkdtemp(prefix="zora-bench-cache-", dir=runtime_root()))
    cache.chmod(0o755)
    os.environ["ZORA_PG_TEMPLATE_DIR"] = str(cache)
    forget_binaries()
    started: list[LocalCluster] = []

    def start() -> None:
        started.append(LocalCluster(find_binaries(major)))
        started[-1].start()

    try:
        return timed(start)
    finally:
        for cluster in started:
            cluster.close()
        shutil.rmtree(cache, ignore_errors=True)
        del os.environ["ZORA_PG_TEMPLATE_DIR"]


def reused_start(major: int | None = None) -> float:
    cluster = LocalCluster(find_binaries(major))
    try:
        return timed(cluster.start)
    finally:
        cluster.close()


def pytest_postgresql_start() -> float:
    """pytest-postgresql's process executor: ``pg_ctl initdb`` + ``pg_ctl start -w``.

    As root its pg_ctl is a wrapper that runs the real one as the server's OS
    user through runuser (a few ms per call, counted against it).
    """
    from pytest_postgresql.executors import PostgreSQLExecutor

    user = server_user()
    base = Path(tempfile.mkdtemp(prefix="zora-bench-ppg-", dir=runtime_root()))
    base.chmod(0o755)
    pg_ctl = find_binaries() / "pg_ctl"
    if not user.is_self:
        wrapper = base / "pg_ctl"
        wrapper.write_text(f'#!/bin/sh\nexec runuser -u {user.name} -- {pg_ctl} "$@"\n')
        wrapper.chmod(0o755)
        pg_ctl = str(wrapper)
    (base / "run").mkdir()
    user.own(base / "run")
    executor = PostgreSQLExecutor(
        executable=pg_ctl,
        host="127.0.0.1",
        port=free_port(),
        datadir=str(base / "run" / "data"),
        unixsocketdir=str(base / "run"),
        logfile=str(base / "run" / "log"),
        startparams="-w",
        dbname="bench",
    )
    try:
        return timed(executor.start)
    finally:
        executor.stop()
        shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    first = [first_start() for _ in range(RUNS)]
    reused_start()  # make sure the shared template exists
    reused = [reused_start() for _ in range(RUNS)]
    try:
        baseline: list[float] | None = [pytest_postgresql_start() for _ in range(RUNS)]
    except Exception as exc:  # a baseline that cannot run here is reported, not fatal
        print(f"pytest-postgresql not measured: {exc}", file=sys.stderr)
        baseline = None
    with LocalCluster() as cluster:
        template = cluster.create_database("bench_template")
        from zora_db.compat import bootstrap
        from zora_db.migrations import upgrade

        bootstrap(template)
        upgrade(template)
        clones = [
            timed(lambda: cluster.create_database(template="bench_template")) for _ in range(CLONES)
        ]
    figures = {
        "postgres_version": find_binaries().version,
        "cluster_ready_first": summary(first),
        "cluster_ready_reused": summary(reused),
        "clone_database": summary(clones),
    }
    if baseline:
        figures["pytest_postgresql_proc_start"] = summary(baseline)
        base = summary(baseline)["median_s"]
        figures["speedup_vs_pytest_postgresql"] = {
            "first": round(base / summary(first)["median_s"], 2),
            "reused": round(base / summary(reused)["median_s"], 2),
        }
    by_major = {}
    for major in MAJORS:
        find_binaries(major)  # fetched (17) before anything is timed
        firsts = [first_start(major) for _ in range(RUNS)]
        reused_start(major)
        by_major[str(major)] = {
            "postgres_version": find_binaries(major).version,
            "cluster_ready_first": summary(firsts),
            "cluster_ready_reused": summary([reused_start(major) for _ in range(RUNS)]),
        }
    figures["by_major"] = by_major
    emit("throwaway", figures)


if __name__ == "__main__":
    main()
