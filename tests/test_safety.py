"""zora-db safety: squawk over every revision's SQL, with the reviewed allow-list."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli import run_cli
from zora_db import safety

# (an unsafe step on a table that already has rows, the squawk rule that must catch it)
UNSAFE = [
    ("create index orders_notes_idx on public.orders (notes)", "require-concurrent-index-creation"),
    ("alter table public.orders add column gift text not null", "adding-required-field"),
    ("alter table public.orders alter column notes type varchar(10)", "changing-column-type"),
    (
        "alter table public.orders add constraint small check (subtotal < 100000)",
        "constraint-missing-not-valid",
    ),
    (
        "alter table public.products add constraint one_name unique (name)",
        "disallowed-unique-constraint",
    ),
    ("alter table public.orders alter column notes set not null", "adding-not-nullable-field"),
]


def test_every_revision_is_safe_or_reviewed() -> None:
    """What `make test` guards: a new revision with an unreviewed finding fails."""
    findings = safety.lint()
    assert [f for f in findings if f.allowed is None] == []
    reviewed = safety.Reviews.load(safety.reviews_path()).allowed
    assert {(f.revision, f.rule) for f in findings} == set(reviewed), "stale allow-list entries"


@pytest.mark.parametrize(("statement", "rule"), UNSAFE, ids=[u[1] for u in UNSAFE])
def test_an_unsafe_revision_is_caught(
    extra_migrations: Callable[[str, str], Path], statement: str, rule: str
) -> None:
    config = extra_migrations("9201", statement)
    findings = safety.lint(["9201"], config_path=config)
    assert rule in {f.rule for f in findings if f.allowed is None}, findings


def test_a_safe_revision_passes(extra_migrations: Callable[[str, str], Path]) -> None:
    config = extra_migrations(
        "9202",
        "alter table public.orders add column gift text; "
        "alter table public.orders add constraint gift_short check (length(gift) < 200) not valid",
    )
    assert safety.lint(["9202"], config_path=config) == []


def test_cli_exit_codes_and_json(
    extra_migrations: Callable[[str, str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    clean = run_cli(capsys, "safety")
    assert clean.code == 0, clean.out + clean.err
    assert "0 new finding(s), 8 reviewed" in clean.out
    config = extra_migrations("9203", UNSAFE[0][0])
    unsafe = run_cli(capsys, "-c", str(config), "safety")
    assert unsafe.code == 10
    assert "require-concurrent-index-creation" in unsafe.out and "unsafe: 1 new" in unsafe.out
    as_json = run_cli(capsys, "-c", str(config), "safety", "9203", "--json")
    assert [f["rule"] for f in json.loads(as_json.out)["findings"]] == [
        "require-concurrent-index-creation"
    ]


@pytest.fixture
def own_history(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the project's alembic folder and a config for it: (config, its safety.toml)."""
    import shutil

    from tests.conftest import PROJECT_ROOT

    shutil.copytree(PROJECT_ROOT / "alembic", tmp_path / "alembic")
    config = tmp_path / "alembic.ini"
    config.write_text(f"[alembic]\nscript_location = {tmp_path / 'alembic'}\n")
    return config, tmp_path / "alembic" / "safety.toml"


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        (
            '[[allow]]\nrevision = "0003"\nrule = "ban-drop-column"\n',
            "needs revision, rule, reason",
        ),
        ('[[exclude]]\nrule = "prefer-robust-stmts"\n', "needs rule, reason"),
        ("[[allow]\n", "is not valid TOML"),
    ],
)
def test_an_entry_without_its_review_is_refused_in_one_line(
    own_history: tuple[Path, Path], capsys: pytest.CaptureFixture[str], entry: str, says: str
) -> None:
    config, reviews = own_history
    reviews.write_text(reviews.read_text() + "\n" + entry)
    result = run_cli(capsys, "-c", str(config), "safety", "0003")
    assert result.code == 3, result.out + result.err
    assert says in result.err and "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_an_entry_that_allows_nothing_is_named(
    own_history: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config, reviews = own_history
    reviews.write_text(reviews.read_text() + '\n[[allow]]\nrevision = "0003"\n'
                       'rule = "ban-drop-column"\nreason = "once, long ago"\n')  # fmt: skip
    result = run_cli(capsys, "-c", str(config), "safety", "0003")
    assert result.code == 0, result.out + result.err
    assert "allows ban-drop-column in 0003, which has no such finding: remove the entry" in (
        result.err
    )


def test_squawk_lints_for_the_oldest_supported_major_unless_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ZORA_PG_VERSION", raising=False)
    assert safety.postgres_version() == "15"
    monkeypatch.setenv("ZORA_PG_VERSION", "17")
    assert safety.postgres_version() == "17"
