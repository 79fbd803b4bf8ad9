"""``zora-db safety``: each revision's SQL linted for locks and rewrites (squawk).

Every revision's offline SQL (the one step, as ``upgrade --sql`` prints it)
goes through squawk (the ``squawk-cli`` package ships its binary), which
knows what locks or rewrites a busy table: an index built without
CONCURRENTLY, a NOT NULL column added without a default, a type change that
rewrites, a constraint added without NOT VALID, and more. What is already
history was reviewed once and is listed in ``alembic/safety.toml`` with a
reason; anything else fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

from zora_db import migrations
from zora_db.errors import ConfigError
from zora_db.history import RevisionInfo

# squawk's rules depend on the server (adding a column with a default is
# instant from 11 on, for one). The oldest major the project supports is the
# strictest answer; ZORA_PG_VERSION lints for another, as it tests on one.
OLDEST_SUPPORTED_MAJOR = "15"


def postgres_version() -> str:
    return os.environ.get("ZORA_PG_VERSION") or OLDEST_SUPPORTED_MAJOR


@dataclass(frozen=True)
class Hazard:
    """What squawk finds in one revision: a lock or rewrite a busy table would feel."""

    revision: str
    rule: str
    line: int
    level: str
    message: str
    help: str
    allowed: str | None = None  # the reviewed reason, when the allow-list has it

    @property
    def url(self) -> str:
        return f"https://squawkhq.com/docs/{self.rule}"

    def to_json(self) -> dict[str, object]:
        return {**asdict(self), "url": self.url}


@dataclass(frozen=True)
class Reviews:
    """alembic/safety.toml: rules off for every revision, and reviewed findings."""

    excluded_rules: dict[str, str]  # rule → why it does not apply to this project
    allowed: dict[tuple[str, str], str]  # (revision, rule) → the review's reason

    @classmethod
    def load(cls, path: Path) -> Reviews:
        """The file's entries, each checked: a rule or revision without a reason is refused."""
        if not path.exists():
            return cls({}, {})
        try:
            data = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}", hint="fix the file") from None
        excluded = {
            rule: reason for rule, reason in _entries(path, data, "exclude", ("rule", "reason"))
        }
        allowed = {
            (revision, rule): reason
            for revision, rule, reason in _entries(
                path, data, "allow", ("revision", "rule", "reason")
            )
        }
        return cls(excluded, allowed)

    def stale(self, hazards: list[Hazard], linted: set[str]) -> list[tuple[str, str]]:
        """Allow entries for linted revisions that matched no finding: remove them."""
        found = {(h.revision, h.rule) for h in hazards}
        return sorted(key for key in self.allowed if key[0] in linted and key not in found)


def _entries(
    path: Path, data: dict[str, object], table: str, keys: tuple[str, ...]
) -> list[tuple[str, ...]]:
    entries = data.get(table, [])
    if not isinstance(entries, list):
        raise ConfigError(
            f"{path}: {table} must be a list of [[{table}]] tables", hint="fix the file"
        )
    checked = []
    for number, entry in enumerate(entries, 1):
        values = tuple(
            str(entry.get(k, "")).strip() if isinstance(entry, dict) else "" for k in keys
        )
        if not all(values):
            raise ConfigError(
                f"{path}: {table} entry {number} needs {', '.join(keys)}",
                hint="every reviewed finding says which, where, and why it is safe",
            )
        checked.append(values)
    return checked


def reviews_path(config_path: Path | None = None) -> Path:
    return migrations.beside_migrations("safety.toml", config_path)


def squawk_binary() -> str:
    found = shutil.which("squawk") or shutil.which("squawk", path=str(Path(sys.executable).parent))
    if not found:
        raise ConfigError(
            "squawk is not installed",
            hint="reinstall zora-db (squawk-cli, which ships it, is one of its dependencies), "
            "or pip install squawk-cli",
        )
    return found


def lint(revisions: list[str] | None = None, *, config_path: Path | None = None) -> list[Hazard]:
    """squawk's findings for ``revisions`` (default: all), each marked if allowed."""
    reviews = Reviews.load(reviews_path(config_path))
    history = _linted(revisions, config_path)
    with tempfile.TemporaryDirectory(prefix="zora-safety-") as tmp:
        files = []
        steps = migrations.steps_sql(config_path=config_path) if history else {}
        for info in history:
            path = Path(tmp) / f"{info.revision}.sql"
            path.write_text(steps[info.revision])
            files.append(str(path))
        if not files:
            return []
        command = [squawk_binary(), "--reporter", "json", f"--pg-version={postgres_version()}"]
        command += [f"--exclude={rule}" for rule in reviews.excluded_rules]
        done = subprocess.run([*command, *files], capture_output=True, text=True, check=False)
    try:
        raw = json.loads(done.stdout or "[]")
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"squawk failed: {(done.stderr or done.stdout).strip()[:200]}",
            hint="run squawk on the revision's `zora-db upgrade --sql` output to see why",
        ) from exc
    findings = []
    for item in raw:
        revision = Path(item["file"]).stem
        findings.append(
            Hazard(
                revision,
                item["rule_name"],
                item["line"],
                item["level"].lower(),
                item["message"],
                item.get("help") or "",
                reviews.allowed.get((revision, item["rule_name"])),
            )
        )
    return sorted(findings, key=lambda f: (f.revision, f.line, f.rule))


def stale_reviews(
    hazards: list[Hazard], revisions: list[str] | None = None, *, config_path: Path | None = None
) -> list[tuple[str, str]]:
    """(revision, rule) entries of safety.toml for the linted revisions that found nothing."""
    linted = {info.revision for info in _linted(revisions, config_path)}
    return Reviews.load(reviews_path(config_path)).stale(hazards, linted)


def _linted(revisions: list[str] | None, config_path: Path | None) -> list[RevisionInfo]:
    return [
        info
        for info in reversed(migrations.history(config_path=config_path))
        if revisions is None or info.revision in revisions
    ]
