"""Which URL a command uses, and how each spelling is accepted or refused."""

from __future__ import annotations

import pytest

from zora_db.errors import ConfigError
from zora_db.urls import libpq_url, redact, resolve_url, sqlalchemy_url

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


def test_no_url_names_every_option_and_the_dev_database() -> None:
    with pytest.raises(ConfigError) as info:
        resolve_url(None)
    message = str(info.value)
    for word in ("--database-url", "ZORA_DATABASE_URL", "DATABASE_URL", "zora-db dev"):
        assert word in message
    assert info.value.exit_code == 3


def test_supabase_postgres_scheme_becomes_each_drivers_spelling() -> None:
    assert sqlalchemy_url(URL_B) == "postgresql+psycopg://b:pw@host-b:6543/db"
    assert libpq_url(URL_B) == "postgresql://b:pw@host-b:6543/db"


def test_query_parameters_survive() -> None:
    assert libpq_url("postgres://u:p@h/db?sslmode=require").endswith("?sslmode=require")


@pytest.mark.parametrize(
    "bad",
    ["not a url", "mysql://u:p@h/db", "postgresql://u:p@h:notaport/db", "http://h/db"],
)
def test_malformed_urls_are_refused_with_the_source_named(bad: str) -> None:
    with pytest.raises(ConfigError) as info:
        resolve_url(bad)
    assert "--database-url" in str(info.value)


def test_redact_hides_the_password() -> None:
    assert "pw" not in redact(URL_A)
    assert "***" in redact(URL_A)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:p%40ss%2Fw%3Fd@db.example.com:5432/postgres?sslmode=require",
        "postgresql://u@/db?host=/var/run/postgresql",
        "postgresql://[::1]:5433/db",
        "postgresql://u:pw@h1:5432,h2:5433/db?target_session_attrs=read-write",
        "postgresql:///db",
    ],
)
def test_every_libpq_spelling_survives_unchanged(url: str) -> None:
    assert libpq_url(url) == url
    assert libpq_url(url.replace("postgresql://", "postgres://", 1)) == url


def test_a_password_with_reserved_characters_is_decoded_and_never_printed() -> None:
    url = "postgresql://u:p%40ss%2Fw@h/db"
    from zora_db.urls import parse

    assert parse(url).password == "p@ss/w"
    assert "p%40ss" not in redact(url) and "p@ss" not in redact(url)
    assert parse(url).set(password="n:e@w").render() == "postgresql://u:n%3Ae%40w@h/db"


@pytest.mark.parametrize("bad", ["postgresql://h1:5432,h2:x/db", "postgresql://[::1]:port/db"])
def test_a_bad_port_in_any_host_is_refused(bad: str) -> None:
    with pytest.raises(ConfigError):
        resolve_url(bad)
