"""sql/ and `zora-db revision --autogenerate`: edit a file, get the revision that applies it."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli import run_cli
from tests.conftest import HEAD_TEMPLATE, PROJECT_ROOT, history_config, query, scalar
from zora_db import definitions, migrations
from zora_db.catalog import introspect
from zora_db.drift import compare
from zora_db.errors import DefinitionError
from zora_db.throwaway import Throwaway

SQL = PROJECT_ROOT / "sql"


def test_sql_dir_matches_the_migrations_at_head(server: Throwaway) -> None:
    """What `make test` guards: sql/ is never stale (run `zora-db dump-sql` after a migration)."""
    plan = definitions.plan(server.url(HEAD_TEMPLATE), definitions.read(SQL))
    assert [(c.action, c.path, c.detail) for c in plan.changes] == []
    assert set(definitions.read(SQL)) == set(definitions.dump(server.url(HEAD_TEMPLATE)))


def test_every_kind_has_files() -> None:
    kinds = {path.split("/")[0] for path in definitions.read(SQL)}
    assert kinds == {"functions", "grants", "policies", "triggers", "publications"}  # no views


@dataclass
class History:
    config: Path
    versions: Path
    sql: Path

    def edit(self, path: str, change: Callable[[str], str]) -> None:
        target = self.sql / path
        before = target.read_text()
        after = change(before)
        assert after != before, f"the edit did not change {path}"
        target.write_text(after)


@pytest.fixture
def history(tmp_path: Path) -> History:
    """The project's history plus a folder for new revisions, and a copy of sql/ to edit."""
    config, versions = history_config(tmp_path)
    shutil.copytree(SQL, tmp_path / "sql")
    return History(config, versions, tmp_path / "sql")


def _autogenerate(history: History, capsys: pytest.CaptureFixture[str]) -> Path:
    result = run_cli(
        capsys,
        "-c",
        str(history.config),
        "revision",
        "--autogenerate",
        "-m",
        "from sql",
        "--sql-dir",
        str(history.sql),
        "--version-path",
        str(history.versions),
    )
    assert result.code == 0, result.err
    written = sorted(history.versions.glob("*.py"))
    assert len(written) == 1, result.out
    return written[0]


def _round_trip(history: History, url: str, head_url: str, holds: Callable[[str], None]) -> None:
    """Upgrade through the new revision, check it, revert it: back to exactly head."""
    head = migrations.heads()[0].revision
    migrations.upgrade(url, config_path=history.config)
    assert migrations.current(url) == (f"{int(head) + 1:04d}",)
    holds(url)
    migrations.downgrade(url, head, config_path=history.config)
    assert compare(introspect(head_url), introspect(url)) == []
    migrations.upgrade(url, config_path=history.config)
    holds(url)


def _policy_using(url: str, table: str, name: str) -> str:
    return str(
        scalar(
            url,
            "select qual from pg_policies where tablename = %s and policyname = %s",
            [table, name],
        )
    )


def test_a_function_body_change(
    history: History, compat_db_url: str, server: Throwaway, capsys: pytest.CaptureFixture[str]
) -> None:
    history.edit(
        "functions/private.order_transition_allowed.sql",
        lambda text: text.replace("'pending', 'confirmed'", "'pending', 'ready'", 1),
    )
    revision = _autogenerate(history, capsys)
    body = revision.read_text()
    assert "* replace sql/functions/private.order_transition_allowed.sql" in body
    assert body.count("CREATE OR REPLACE FUNCTION private.order_transition_allowed") == 2

    def holds(url: str) -> None:
        allowed = "select private.order_transition_allowed('pending', 'ready')"
        assert scalar(url, allowed) is True

    _round_trip(history, compat_db_url, server.url(HEAD_TEMPLATE), holds)


def test_a_policy_expression_change(
    history: History, compat_db_url: str, server: Throwaway, capsys: pytest.CaptureFixture[str]
) -> None:
    history.edit(
        "policies/public.orders.orders_select.sql",
        lambda text: re.sub(
            r"using \(.*\);", "using (user_id = (select auth.uid()));", text, flags=re.S
        ),
    )
    revision = _autogenerate(history, capsys)
    assert "* replace sql/policies/public.orders.orders_select.sql" in revision.read_text()

    def holds(url: str) -> None:
        assert "vendor_id" not in _policy_using(url, "orders", "orders_select")

    _round_trip(history, compat_db_url, server.url(HEAD_TEMPLATE), holds)


def test_a_trigger_events_change(
    history: History, compat_db_url: str, server: Throwaway, capsys: pytest.CaptureFixture[str]
) -> None:
    history.edit(
        "triggers/public.reviews.check_review.sql",
        lambda text: re.sub(r"BEFORE INSERT OR UPDATE OF [\w, ]+ ON", "BEFORE INSERT ON", text),
    )
    _autogenerate(history, capsys)

    def holds(url: str) -> None:
        definition = str(
            scalar(
                url, "select pg_get_triggerdef(oid) from pg_trigger where tgname = 'check_review'"
            )
        )
        assert "BEFORE INSERT ON" in definition

    _round_trip(history, compat_db_url, server.url(HEAD_TEMPLATE), holds)


def test_a_table_added_to_the_publication(
    history: History, compat_db_url: str, server: Throwaway, capsys: pytest.CaptureFixture[str]
) -> None:
    history.edit(
        "publications/supabase_realtime.sql",
        lambda text: text.replace("public.orders,", "public.orders,\n  public.payments,", 1),
    )
    _autogenerate(history, capsys)

    def holds(url: str) -> None:
        members = "select count(*) from pg_publication_tables where tablename = 'payments'"
        assert scalar(url, members) == 1

    _round_trip(history, compat_db_url, server.url(HEAD_TEMPLATE), holds)


def test_a_removed_file_drops_its_object(
    history: History, compat_db_url: str, server: Throwaway, capsys: pytest.CaptureFixture[str]
) -> None:
    (history.sql / "policies/public.favorites.favorites_owner.sql").unlink()
    revision = _autogenerate(history, capsys)
    text = revision.read_text()
    assert "drop policy favorites_owner on public.favorites;" in text
    assert "create policy favorites_owner" in text  # the downgrade puts it back

    def holds(url: str) -> None:
        count = "select count(*) from pg_policies where policyname = 'favorites_owner'"
        assert scalar(url, count) == 0

    _round_trip(history, compat_db_url, server.url(HEAD_TEMPLATE), holds)


def test_formatting_is_not_a_change(history: History, capsys: pytest.CaptureFixture[str]) -> None:
    history.edit(
        "grants/public.orders.sql",
        lambda text: text.upper().replace("PUBLIC.ORDERS", "public.orders").replace(";", " ;\n"),
    )
    history.edit(
        "policies/public.vendors.vendors_select.sql",
        lambda text: "-- shops the public can see\n" + text.replace("  ", "      "),
    )
    result = run_cli(
        capsys,
        "-c",
        str(history.config),
        "revision",
        "--autogenerate",
        "-m",
        "nothing",
        "--sql-dir",
        str(history.sql),
        "--version-path",
        str(history.versions),
    )
    assert result.code == 0, result.err
    assert "no changes" in result.out
    assert list(history.versions.iterdir()) == []


def test_a_broken_file_is_a_clear_error_and_writes_nothing(
    history: History, capsys: pytest.CaptureFixture[str]
) -> None:
    history.edit("policies/public.orders.orders_select.sql", lambda t: t.replace("using", "usin"))
    result = run_cli(
        capsys,
        "-c",
        str(history.config),
        "revision",
        "--autogenerate",
        "-m",
        "broken",
        "--sql-dir",
        str(history.sql),
        "--version-path",
        str(history.versions),
    )
    assert result.code == 7
    assert "sql/policies/public.orders.orders_select.sql does not apply" in result.err
    assert "Traceback" not in result.err
    assert list(history.versions.iterdir()) == []


def test_a_file_that_changes_a_table_is_refused(db_url: str) -> None:
    files = definitions.read(SQL)
    path = "functions/public.broadcast_event.sql"
    files[path] += "alter table public.orders add column sneaky text;\n"
    with pytest.raises(DefinitionError, match="no file defines"):
        definitions.plan(db_url, files)
    columns = query(db_url, "select 1 from information_schema.columns where column_name = 'sneaky'")
    assert columns == []  # the plan never changes the database


def test_dump_sql_writes_and_removes(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sql"
    first = run_cli(capsys, "-d", db_url, "dump-sql", "--sql-dir", str(out))
    assert first.code == 0, first.err
    # The same objects as sql/ (whose files may be formatted by hand)...
    assert set(definitions.read(out)) == set(definitions.read(SQL))
    # ...and PostgreSQL's own text of them, byte for byte where nobody edited.
    unedited = "policies/public.favorites.favorites_owner.sql"
    assert definitions.read(out)[unedited] == definitions.read(SQL)[unedited]
    assert run_cli(capsys, "-d", db_url, "dump-sql", "--sql-dir", str(out), "--check").code == 0
    query(db_url, "drop policy favorites_owner on public.favorites")
    stale = run_cli(capsys, "-d", db_url, "dump-sql", "--sql-dir", str(out), "--check")
    assert stale.code == 10 and "would remove" in stale.err
    assert (
        out / "policies/public.favorites.favorites_owner.sql"
    ).exists()  # --check writes nothing
    again = run_cli(capsys, "-d", db_url, "dump-sql", "--sql-dir", str(out))
    assert "0 written, " in again.out and ", 1 removed" in again.out  # a deletion, as one
    assert "removed " in again.err and "favorites_owner" in again.err
    assert not (out / "policies/public.favorites.favorites_owner.sql").exists()


def test_dump_sql_refuses_a_database_not_at_head(
    compat_db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    migrations.upgrade(compat_db_url, "0009")
    out = tmp_path / "sql"
    refused = run_cli(capsys, "-d", compat_db_url, "dump-sql", "--sql-dir", str(out))
    assert refused.code == 5 and "not at head" in refused.err and "Traceback" not in refused.err
    assert not out.exists()  # nothing written, nothing deleted


def test_dump_sql_quotes_reserved_words(db_url: str, tmp_path: Path) -> None:
    """A column named `order` is granted as "order": the file applies again."""
    query(
        db_url,
        'alter table public.favorites add column "order" int, add column "Note" text;'
        'grant update ("order", "Note") on public.favorites to authenticated',
    )
    grants = definitions.dump(db_url)["grants/public.favorites.sql"].text
    assert '("Note", "order")' in grants or '("order", "Note")' in grants
    query(db_url, grants)  # it applies as written
