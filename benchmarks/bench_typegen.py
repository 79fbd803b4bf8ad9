"""Type generation against schemas of 50, 500 and 2 000 tables.

Each table has 10 columns (an enum among them) and a foreign key to the
previous table. Measured: ``gen-types --lang all`` from connecting to the
three files written (the API, as the command runs it), the number of
catalog queries issued, and the whole command as a process at 500 tables.
Target: ≤ 1 s at 500 tables; the query count independent of the tables.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg
from _common import emit, summary

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


def bench_command(cluster: LocalCluster, tables: int) -> dict[str, Any]:
    url = cluster.url(f"typegen_{tables}")
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "zora_db", "-d", url, "gen-types", "--out", out]
        times = []
        for _ in range(RUNS):
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            times.append(time.perf_counter() - started)
    return {"tables": tables, **summary(times)}


def main() -> None:
    with LocalCluster() as cluster:
        by_size = [bench_size(cluster, n) for n in SIZES]
        command = bench_command(cluster, 500)
    emit(
        "typegen",
        {
            "runs": RUNS,
            "target_s_at_500": 1.0,
            "api_connect_to_files": by_size,
            "command_process_at_500": command,
            "queries_independent_of_tables": len({s["catalog_queries"] for s in by_size}) == 1,
        },
    )


if __name__ == "__main__":
    main()
