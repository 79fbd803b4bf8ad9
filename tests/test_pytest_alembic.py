"""pytest-alembic's own tests against our migrations, as a peer's suite would run them.

pytest-alembic hands ``env.py`` an ``Engine`` in ``config.attributes``; the
Alembic cookbook hands it a ``Connection``. Both must work.

Its pytest plugin (test collection by marker) does not load under pytest 9,
so it is disabled (``-p no:pytest_alembic``) and its tests and runner
fixture are imported here as plain functions, which they are.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_alembic import Config as PytestAlembicConfig
from pytest_alembic.plugin.fixtures import alembic_runner  # noqa: F401 - a fixture
from pytest_alembic.tests import (  # noqa: F401 - collected as this module's tests
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)
from sqlalchemy import Engine

from alembic import command
from tests.conftest import PROJECT_ROOT, scalar
from zora_db import migrations
from zora_db.db import sqlalchemy_engine


@pytest.fixture
def alembic_config() -> PytestAlembicConfig:
    return PytestAlembicConfig(config_options={"file": str(PROJECT_ROOT / "alembic.ini")})


@pytest.fixture
def alembic_engine(compat_db_url: str) -> Iterator[Engine]:
    engine = sqlalchemy_engine(compat_db_url)
    yield engine
    engine.dispose()


def test_env_takes_a_connection_as_the_cookbook_passes_it(compat_db_url: str) -> None:
    engine = sqlalchemy_engine(compat_db_url)
    config = migrations.alembic_config(None)
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    engine.dispose()
    assert scalar(compat_db_url, "select count(*) from public.alembic_version") == 1
    assert scalar(compat_db_url, "select to_regclass('public.orders') is not null") is True
