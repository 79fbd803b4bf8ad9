"""``zora-db verify``: prove on a real database that the schema keeps its promises.

Five groups, on a database at head with the demo data set: the lint's
error-level findings, the access matrix (every table, operation and actor),
the attacks, the trigger checks, and realtime as the apps receive it (the
contract's subscriptions through the scenario, Supabase Realtime's rules).
Every check but realtime rolls back what it does; realtime plays its
scenario for real, so it runs last.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import psycopg

from zora_db.catalog import Catalog, introspect
from zora_db.errors import ZoraDbError
from zora_db.lint import Level, run_lints
from zora_db.progress import Say, quiet
from zora_db.verify.attacks import ATTACKS
from zora_db.verify.catchup import CatchUpJudge
from zora_db.verify.catchup import outcomes as catch_up_outcomes
from zora_db.verify.channels import check_channels
from zora_db.verify.embeds import embed_probes
from zora_db.verify.matrix import cells, check_cell, facts
from zora_db.verify.probes import Probe, ProbeFailed, run_probe
from zora_db.verify.realtime import SUBSCRIBERS, check_realtime, latency_summary, outcomes
from zora_db.verify.triggers import TRIGGER_CHECKS

GROUPS = ("lint", "access matrix", "embeds", "attacks", "triggers", "realtime")


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
    warnings: list[str] = field(default_factory=list)
    decoder: str = ""  # the logical decoding plugin the realtime group read

    @property
    def passed(self) -> bool:
        return all(o.passed for o in self.outcomes)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed]

    def latency(self) -> dict[str, float]:
        """Commit to decided delivery of the realtime scenario's steps, in ms."""
        return latency_summary(self.latencies_ms)

    def to_json(self) -> dict[str, object]:
        return {
            "passed": self.passed,
            "groups": [
                {
                    "name": g.name,
                    "checks": g.checks,
                    "passed": g.passed,
                    "failed": g.failed,
                    "seconds": round(g.seconds, 3),
                }
                for g in self.groups
            ],
            "failures": [asdict(o) for o in self.failures],
            "warnings": self.warnings,
            "realtime": {
                "decoder": self.decoder,
                "steps": len(self.latencies_ms),
                "latency_ms": self.latency(),
            },
        }


def verify(url: str, say: Say = quiet) -> Report:
    """Run every group against ``url``: a database at head with the demo data set."""
    report = Report()
    catalog = introspect(url)
    with psycopg.connect(url) as conn:
        known = facts(conn)
        groups: dict[str, Callable[[], Iterable[Outcome]]] = {
            "lint": lambda: _lint(catalog),
            "access matrix": lambda: _matrix(conn, known),
            "embeds": lambda: _checks("embeds", conn, embed_probes(catalog), known),
            "attacks": lambda: _checks("attacks", conn, ATTACKS, known),
            "triggers": lambda: _checks("triggers", conn, TRIGGER_CHECKS, known),
            "realtime": lambda: _realtime(url, conn, catalog, report),
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
            say(f"{name}: {summary.passed}/{summary.checks} passed ({summary.seconds:.1f} s)")
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
        detail = "" if result.passed else result.explain()
        yield Outcome("access matrix", cell.name, result.passed, detail)


def _checks(
    group: str, conn: psycopg.Connection[Any], checks: Iterable[Probe], known: dict[str, Any]
) -> Iterator[Outcome]:
    for check in checks:
        try:
            run_probe(conn, check, known)
        except ProbeFailed as exc:
            yield Outcome(group, check.name, False, str(exc))
        except psycopg.Error as exc:
            yield Outcome(group, check.name, False, f"{exc.sqlstate}: {exc}")
        else:
            yield Outcome(group, check.name, True)


def _realtime(
    url: str, conn: psycopg.Connection[Any], catalog: Catalog, report: Report
) -> Iterator[Outcome]:
    with psycopg.connect(url) as resumer:
        catching_up = CatchUpJudge(resumer, SUBSCRIBERS)
        try:
            result = check_realtime(url, catalog, after_step=catching_up.after_step)
        except ZoraDbError as exc:
            yield Outcome("realtime", "logical decoding", False, str(exc))
            return
    report.latencies_ms += result.latencies_ms
    report.decoder = result.plugin
    report.warnings += result.warnings
    if result.plugin != "wal2json":
        report.warnings.append(
            f"decoded with {result.plugin}, not wal2json as Supabase Realtime does: stored "
            "generated columns (orders.total) were not compared; install wal2json"
        )
    for name, passed, detail in [*outcomes(result), *catch_up_outcomes(catching_up)]:
        yield Outcome("realtime", name, passed, detail)
    for name, passed, detail in check_channels(conn):
        yield Outcome("realtime", name, passed, detail)


__all__ = ["GROUPS", "Outcome", "Report", "verify"]
