"""Small helpers shared by the benchmark scripts."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from typing import Any


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


def emit(name: str, figures: dict[str, Any]) -> None:
    print(json.dumps({"benchmark": name, **figures}, indent=2))
