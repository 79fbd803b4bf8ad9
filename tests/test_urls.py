"""Which database a command uses, read by libpq's rules: what is accepted, refused and printed."""

from __future__ import annotations

import psycopg
import pytest

from zora_db.db import connect
from zora_db.errors import ConfigError
from zora_db.urls import param, params, redact, resolve_url, with_database, with_params

URL_A = "postgresql://a:pw@host-a:5432/db"
URL_B = "postgres://b:pw@host-b:6543/db"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZORA_DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)


def test_option_wins_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZORA_DATABASE_URL", URL_B)
    monkeypatch.setenv("DATABASE_URL", URL_B)
    assert resolve_url(URL_A) == URL_A


def test_zora_variable_wins_over_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZORA_DATABASE_URL", URL_A)
    monkeypatch.setenv("DATABASE_URL", URL_B)
    assert resolve_url(None) == URL_A


def test_database_url_is_the_last_resort(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", URL_B)
    assert resolve_url(None) == URL_B


def test_a_blank_variable_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZORA_DATABASE_URL", "  ")
    monkeypatch.setenv("DATABASE_URL", URL_B)
    assert resolve_url(None) == URL_B


def test_no_url_names_every_option_and_the_dev_database() -> None:
    with pytest.raises(ConfigError) as info:
        resolve_url(None)
    message = str(info.value)
    for word in ("--database-url", "ZORA_DATABASE_URL", "DATABASE_URL", "zora-db dev"):
        assert word in message
    assert info.value.exit_code == 3


def test_the_url_reaches_libpq_as_given() -> None:
    """No re-spelling: Supabase's postgres:// and every query parameter go through untouched."""
    url = "postgres://b:pw@host-b:6543/db?sslmode=require"
    assert resolve_url(url) == url
    assert params(url) == {
        "user": "b", "password": "pw", "host": "host-b", "port": "6543",
        "dbname": "db", "sslmode": "require",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql://u:p%40ss%2Fw%3Fd@db.example.com:5432/postgres?sslmode=require",
            {"user": "u", "password": "p@ss/w?d", "host": "db.example.com", "port": "5432"},
        ),
        ("postgresql://u@/db?host=/var/run/postgresql", {"host": "/var/run/postgresql"}),
        ("postgresql://[::1]:5433/db", {"host": "::1", "port": "5433"}),
        ("postgresql://u:pw@h1:5432,h2:5433/db", {"host": "h1,h2", "port": "5432,5433"}),
        ("postgresql:///db", {"dbname": "db"}),
        ("host=h1 port=5433 dbname=db user=u", {"host": "h1", "port": "5433", "user": "u"}),
    ],
)
def test_every_libpq_spelling_is_read_by_libpq(url: str, expected: dict[str, str]) -> None:
    assert params(url).items() >= expected.items()
    assert params(url.replace("postgresql://", "postgres://", 1)) == params(url)


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ("not a url", "not a valid PostgreSQL connection string"),
        ("mysql://u:p@h/db", "scheme 'mysql'"),
        ("http://h/db", "scheme 'http'"),
        ("postgresql+psycopg://u:p@h/db", "SQLAlchemy's spelling"),
        ("postgresql://u@h/db?no_such_option=1", "invalid URI query parameter"),
    ],
)
def test_what_libpq_cannot_read_is_refused_with_the_source_named(bad: str, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        resolve_url(bad)
    assert "--database-url" in str(info.value) and words in f"{info.value} {info.value.hint}"
    assert info.value.exit_code == 3


def test_libpq_is_the_judge_of_what_is_readable() -> None:
    """Every string we refuse, libpq refuses too; every one we accept, it reads."""
    for good in (URL_A, URL_B, "host=h dbname=d", "postgresql:///db"):
        psycopg.conninfo.conninfo_to_dict(good)
    for bad in ("not a url", "postgresql://u@h/db?no_such_option=1"):
        with pytest.raises(psycopg.ProgrammingError):
            psycopg.conninfo.conninfo_to_dict(bad)


def test_a_refusal_never_quotes_the_password() -> None:
    with pytest.raises(ConfigError) as info:
        resolve_url("postgresql://u:s3cr%zzet@h/db")
    assert "s3cr" not in f"{info.value} {info.value.hint}"


@pytest.mark.parametrize("bad", ["postgresql://h1:5432,h2:x/db", "host=::1 port=port dbname=db"])
def test_a_port_that_is_not_a_number_is_refused_before_any_lookup(bad: str) -> None:
    with pytest.raises(ConfigError) as info:
        resolve_url(bad)
    assert "not a number" in str(info.value) and info.value.exit_code == 3


def test_a_value_libpq_refuses_is_one_line_and_nothing_is_tried() -> None:
    """libpq checks values (here sslmode) when it connects, before any network: exit 3."""
    with (
        pytest.raises(ConfigError) as info,
        connect("postgresql://u@127.0.0.1:1/db?sslmode=sometimes"),
    ):
        pass
    assert "is not valid" in str(info.value) and "sslmode" in str(info.value)
    assert info.value.exit_code == 3


def test_redact_prints_where_without_the_password() -> None:
    shown = redact("postgresql://u:p%40ss%2Fw@db.example.com:6543/app?sslmode=require")
    assert shown == "host=db.example.com port=6543 dbname=app user=u sslmode=require"
    assert redact("mysql://x") == "<unparsable connection string>"


def test_a_changed_copy_keeps_everything_else() -> None:
    url = "postgres://u:p%40ss@h:6543/db?sslmode=require"
    other = with_params(url, user="n:e@w", password="it's secret")
    assert params(other) == params(url) | {"user": "n:e@w", "password": "it's secret"}
    assert param(with_database(url, "other db"), "dbname") == "other db"
    assert param(url, "options") is None
