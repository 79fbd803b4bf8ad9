"""zora_db.sqlstates names every SQLSTATE the migrations raise, and the docs list them."""

from __future__ import annotations

import re

from tests.conftest import PROJECT_ROOT
from zora_db.sqlstates import ZoraSqlState


def test_every_code_the_migrations_raise_is_named() -> None:
    raised = set()
    for path in (PROJECT_ROOT / "alembic" / "versions").glob("*.py"):
        raised |= set(re.findall(r"errcode = '(ZA\d{3})'", path.read_text()))
    assert raised == {code.value for code in ZoraSqlState}


def test_the_docs_list_the_same_codes() -> None:
    readme = (PROJECT_ROOT / "docs" / "schema.md").read_text()
    listed = set(re.findall(r"^\| (ZA\d{3}) \|", readme, flags=re.MULTILINE))
    assert listed == {code.value for code in ZoraSqlState}
