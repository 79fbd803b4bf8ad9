"""Type generation against schemas of 50, 500 and 2 000 tables.

Each table has 10 columns (an enum among them) and a foreign key to the
previous table. Measured: ``gen-types --lang all`` from connecting to the
three files written (the API, as the command runs it), the number of
catalog queries issued, and at 500 tables ``gen-types --lang typescript``
as a whole process side by side with Supabase's own generator
(postgres-meta, as ``supabase gen types`` runs it) on the same database:
wall time and peak memory of each process.
Targets: ≤ 1 s at 500 tables; the query count independent of the tables;
ahead of postgres-meta on time and on memory.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg
from _common import emit, summary

from tests import postgres_meta
from zora_db.catalog import introspect
from zora_db.throwaway import LocalCluster
from zora_db.typegen import LANGUAGES, generate_all

SIZES = (50, 500, 2_000)
RUNS = 5

SCHEMA = """
create type public.state as enum ('new', 'active', 'archived');
do $$
begin
  for i in 1..{n} loop
    execute format($t$
      create table public.t%1$s (
        id bigint generated always as identity primary key,
        parent_id bigint %2$s,
        name varchar(80) not null,
        state public.state not null default 'new',
        price numeric(12, 2) check (price >= 0),
        quantity integer not null default 0,
        tags text[],
        data jsonb,
        created_at timestamptz not null default now(),
        note text
      )$t$, i,
      case when i > 1 then format('references public.t%s (id)', i - 1) else '' end);
  end loop;
end $$;
"""


def _generate(url: str, out: Path) -> int:
    catalog = introspect(url, ("public",))
    for language, text in generate_all(catalog).files.items():
        (out / LANGUAGES[language].default_path.name).write_text(text)
    return catalog.queries


def bench_size(cluster: LocalCluster, tables: int) -> dict[str, Any]:
    url = cluster.create_database(f"typegen_{tables}")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SCHEMA.replace("{n}", str(tables)).encode())  # several statements
    with tempfile.TemporaryDirectory() as out:
        queries = _generate(url, Path(out))  # warm the server's catalog cache
        times = []
        for _ in range(RUNS):
            started = time.perf_counter()
            _generate(url, Path(out))
            times.append(time.perf_counter() - started)
        sizes = {p.name: p.stat().st_size for p in Path(out).iterdir()}
    return {"tables": tables, **summary(times), "catalog_queries": queries, "bytes": sizes}


def _process(argv: list[str], environment: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and peak resident MiB of one process run to its end."""
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{argv[:3]} exited {process.returncode}")
    return elapsed, usage.ru_maxrss / 1024  # KiB on Linux


def side_by_side(cluster: LocalCluster, tables: int) -> dict[str, Any]:
    url = cluster.url(f"typegen_{tables}")
    with tempfile.TemporaryDirectory() as out:
        ours = [sys.executable, "-m", "zora_db", "-d", url, "gen-types", "-l", "typescript",
                "-o", f"{out}/database.types.ts"]  # fmt: skip
        theirs, environment = postgres_meta.command(url)
        runs: dict[str, list[tuple[float, float]]] = {"zora_db": [], "postgres_meta": []}
        for _ in range(RUNS):  # alternated, so both see the same machine
            runs["zora_db"].append(_process(ours))
            runs["postgres_meta"].append(_process(theirs, environment))
    figures = {
        name: {**summary([t for t, _ in r]), "peak_mib": round(max(m for _, m in r), 1)}
        for name, r in runs.items()
    }
    return {
        "tables": tables,
        **figures,
        "time_ratio": round(
            figures["zora_db"]["median_s"] / figures["postgres_meta"]["median_s"], 2
        ),
        "memory_ratio": round(
            figures["zora_db"]["peak_mib"] / figures["postgres_meta"]["peak_mib"], 2
        ),
    }


def main() -> None:
    with LocalCluster() as cluster:
        by_size = [bench_size(cluster, n) for n in SIZES]
        typescript = side_by_side(cluster, 500)
    emit(
        "typegen",
        {
            "runs": RUNS,
            "target_s_at_500": 1.0,
            "api_connect_to_files": by_size,
            "typescript_process_at_500_against_postgres_meta": typescript,
            "queries_independent_of_tables": len({s["catalog_queries"] for s in by_size}) == 1,
        },
    )


if __name__ == "__main__":
    main()
