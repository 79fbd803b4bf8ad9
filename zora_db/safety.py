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
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

from zora_db import migrations
from zora_db.errors import ConfigError

POSTGRES_VERSION = "15"


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
        if not path.exists():
            return cls({}, {})
        data = tomllib.loads(path.read_text())
        return cls(
            {r["rule"]: r["reason"] for r in data.get("exclude", [])},
            {(a["revision"], a["rule"]): a["reason"] for a in data.get("allow", [])},
        )


def reviews_path(config_path: Path | None = None) -> Path:
    return migrations.beside_migrations("safety.toml", config_path)


def squawk_binary() -> str:
    found = shutil.which("squawk") or shutil.which("squawk", path=str(Path(sys.executable).parent))
    if not found:
        raise ConfigError(
            "squawk is not installed",
            hint="pip install squawk-cli (it is in the project's dev dependencies)",
        )
    return found


def lint(revisions: list[str] | None = None, *, config_path: Path | None = None) -> list[Hazard]:
    """squawk's findings for ``revisions`` (default: all), each marked if allowed."""
    reviews = Reviews.load(reviews_path(config_path))
    history = [
        info
        for info in reversed(migrations.history(config_path=config_path))
        if revisions is None or info.revision in revisions
    ]
    with tempfile.TemporaryDirectory(prefix="zora-safety-") as tmp:
        files = []
        for info in history:
            path = Path(tmp) / f"{info.revision}.sql"
            path.write_text(migrations.step_sql(info, config_path=config_path))
            files.append(str(path))
        if not files:
            return []
        command = [squawk_binary(), "--reporter", "json", f"--pg-version={POSTGRES_VERSION}"]
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
