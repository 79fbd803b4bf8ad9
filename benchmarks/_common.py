"""Small helpers shared by the benchmark scripts."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from zora_db import migrations
from zora_db.compat import bootstrap
from zora_db.seed import seed
from zora_db.throwaway import LocalCluster
from zora_db.throwaway.databases import database_name


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def summary(samples: list[float]) -> dict[str, Any]:
    """Median (the figure to quote), min, max and the raw runs, in seconds."""
    return {
        "median_s": round(statistics.median(samples), 4),
        "min_s": round(min(samples), 4),
        "max_s": round(max(samples), 4),
        "runs": len(samples),
    }


def migrated_database(cluster: LocalCluster, name: str | None = None) -> str:
    """A new database at head, the layer installed by the superuser, migrated by the owner.

    Returns the superuser's URL: the benchmarks bulk-load with the triggers off.
    """
    database = database_name(cluster.create_database(name))
    bootstrap(cluster.superuser_url(database))
    migrations.upgrade(cluster.url(database))
    return cluster.superuser_url(database)


@contextmanager
def seeded_database() -> Iterator[str]:
    """A throwaway cluster's database with the layer, at head, with the demo data.

    The superuser's URL (see :func:`migrated_database`).
    """
    with LocalCluster() as cluster:
        url = migrated_database(cluster)
        seed(url)
        yield url


def emit(name: str, figures: dict[str, Any]) -> None:
    print(json.dumps({"benchmark": name, **figures}, indent=2))
