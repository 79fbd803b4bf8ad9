"""``zora-db verify``: prove on a real database that the schema keeps its promises.

Five groups, on a database at head with the demo data set: the lint's
error-level findings, the access matrix (every table, operation and actor),
the attacks, the trigger checks and realtime over logical decoding. Every
check rolls back what it does; the realtime check puts each row back.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg

from zora_db.catalog import Catalog, introspect
from zora_db.lint import Level, run_lints
from zora_db.verify.attacks import ATTACKS
from zora_db.verify.checks import Check, CheckFailed, run_check
from zora_db.verify.matrix import cells, check_cell, facts
from zora_db.verify.realtime import check_realtime
from zora_db.verify.triggers import TRIGGER_CHECKS

LATENCY_TARGET_MS = 50.0  # the seed plan asks for 500 ms end to end
GROUPS = ("lint", "access matrix", "attacks", "triggers", "realtime")


@dataclass(frozen=True)
class Outcome:
    group: str
    name: str
    passed: bool
    detail: str = ""


@dataclass
class GroupSummary:
    name: str
    checks: int = 0
    failed: int = 0
    seconds: float = 0.0

    @property
    def passed(self) -> int:
        return self.checks - self.failed


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    groups: list[GroupSummary] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(o.passed for o in self.outcomes)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed]

    def latency(self) -> dict[str, float]:
        """Commit-to-decode latency of the realtime changes, in ms."""
        values = sorted(self.latencies_ms)
        if not values:
            return {}
        p99 = (
            statistics.quantiles(values, n=100, method="inclusive")[98]
            if len(values) > 1
            else values[0]
        )
        return {
            "p50": round(statistics.median(values), 2),
            "p99": round(p99, 2),
            "max": round(values[-1], 2),
        }


Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    """Say nothing."""


def verify(url: str, progress: Progress = _quiet) -> Report:
    """Run every group against ``url``: a database at head with the demo data set."""
    report = Report()
    catalog = introspect(url)
    with psycopg.connect(url) as conn:
        known = facts(conn)
        groups: dict[str, Callable[[], Iterable[Outcome]]] = {
            "lint": lambda: _lint(catalog),
            "access matrix": lambda: _matrix(conn, known),
            "attacks": lambda: _checks("attacks", conn, ATTACKS, known),
            "triggers": lambda: _checks("triggers", conn, TRIGGER_CHECKS, known),
            "realtime": lambda: _realtime(url, catalog, report),
        }
        for name in GROUPS:
            # No transaction may stay open across groups: creating the realtime
            # group's replication slot waits for every running transaction.
            conn.rollback()
            started = time.perf_counter()
            summary = GroupSummary(name)
            for outcome in groups[name]():
                report.outcomes.append(outcome)
                summary.checks += 1
                summary.failed += not outcome.passed
            summary.seconds = time.perf_counter() - started
            report.groups.append(summary)
            progress(f"{name}: {summary.passed}/{summary.checks} passed ({summary.seconds:.1f} s)")
    return report


def _lint(catalog: Catalog) -> Iterator[Outcome]:
    errors = [f for f in run_lints(catalog) if f.level is Level.ERROR]
    for f in errors:
        yield Outcome("lint", f"{f.lint} {f.object}", False, f"{f.detail}; fix: {f.remediation}")
    if not errors:
        yield Outcome("lint", "no error-level finding", True)


def _matrix(conn: psycopg.Connection[Any], known: dict[str, Any]) -> Iterator[Outcome]:
    for cell in cells():
        try:
            result = check_cell(conn, cell, known)
        except psycopg.Error as exc:
            yield Outcome("access matrix", cell.name, False, f"{exc.sqlstate}: {exc}")
            continue
        detail = "" if result.passed else _difference(result.expected, result.actual)
        yield Outcome("access matrix", cell.name, result.passed, detail)


def _difference(expected: Any, actual: Any) -> str:
    if isinstance(expected, set):
        parts = []
        if actual - expected:
            parts.append(f"{len(actual - expected)} rows reached that should not be")
        if expected - actual:
            parts.append(f"{len(expected - actual)} rows out of reach that should not be")
        return "; ".join(parts)
    return "; ".join(
        f"{name}: {actual.get(name)} (expected {want})"
        for name, want in expected.items()
        if actual.get(name) != want
    )


def _checks(
    group: str, conn: psycopg.Connection[Any], checks: Iterable[Check], known: dict[str, Any]
) -> Iterator[Outcome]:
    for check in checks:
        try:
            run_check(conn, check, known)
        except CheckFailed as exc:
            yield Outcome(group, check.name, False, str(exc))
        except psycopg.Error as exc:
            yield Outcome(group, check.name, False, f"{exc.sqlstate}: {exc}")
        else:
            yield Outcome(group, check.name, True)


def _realtime(url: str, catalog: Catalog, report: Report) -> Iterator[Outcome]:
    try:
        results = check_realtime(url, catalog)
    except CheckFailed as exc:
        yield Outcome("realtime", "logical decoding", False, str(exc))
        return
    for r in results:
        report.latencies_ms += r.latencies_ms
        yield Outcome("realtime", r.table, r.passed, "; ".join(r.problems))
    p99 = report.latency().get("p99")
    if p99 is not None:
        yield Outcome(
            "realtime",
            f"commit to decode under {LATENCY_TARGET_MS:.0f} ms at p99",
            p99 < LATENCY_TARGET_MS,
            f"p99 {p99} ms",
        )


__all__ = ["GROUPS", "Outcome", "Report", "verify"]
