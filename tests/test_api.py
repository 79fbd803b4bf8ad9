"""The apps' API end to end: real PostgREST behind /rest/v1, driven by supabase-js.

Each file in tests/api/ is a node:test suite acting as one of the apps'
users. It runs against its own copy of the demo database, with PostgREST
logging in as ``authenticator`` and a fresh JWT secret. Every response a
suite records is then compiled under ``tsc --strict`` as a value of the type
supabase-js infers from ``types/database.types.ts`` for the same query, so a
``null`` (or any shape) the generated types do not allow fails here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests import node
from tests.conftest import PROJECT_ROOT, decoder_here, query, skip_without_node
from tests.typescript import tsc
from zora_db import migrations
from zora_db.api import PostgrestServer
from zora_db.api.process import ApiProcess
from zora_db.db import connect
from zora_db.gotrue import sign_up
from zora_db.ports import free_port
from zora_db.realtime.phoenix import VERSIONS
from zora_db.seed import seed, seed_id
from zora_db.throwaway import Throwaway
from zora_db.tokens import ApiKeys, new_secret
from zora_db.urls import with_params

SUITES = sorted((PROJECT_ROOT / "tests" / "api").glob("*.test.mjs"))
# Realtime suites run under both of Phoenix's serializers supabase-js speaks.
REALTIME_SUITES = {"realtime.test.mjs"}
CASES = [
    pytest.param(suite, vsn, id=suite.name.split(".")[0] + (f"-vsn{vsn}" if vsn else ""))
    for suite in SUITES
    for vsn in (VERSIONS if suite.name in REALTIME_SUITES else (None,))
]
QUERIES = json.loads((PROJECT_ROOT / "tests" / "api" / "queries.json").read_text())
PEOPLE = {
    "alice": "user:alice",
    "bob": "user:bob",
    "chloe": "user:chloe",
    "camden": "user:camden-bakery",
    "shoreditch": "user:shoreditch-grocer",
    "admin": "user:admin",
    "admin2": "user:admin2",  # a second admin, for presence: made by the `api` fixture
}
AUTHENTICATOR_PASSWORD = "zora-api-tests"


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """supabase-js, ws and typescript, pinned, in .zora/test-node (PostgREST comes on its own)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        skip_without_node("node and npm are not installed: the API tests need them")
    return node.linked_into(PROJECT_ROOT / "tests" / "api")


@pytest.fixture(scope="session")
def authenticator(server: Throwaway) -> str:
    """The password PostgREST logs in with (roles are the server's, set once)."""
    query(server.admin_url, f"alter role authenticator password '{AUTHENTICATOR_PASSWORD}'")
    return AUTHENTICATOR_PASSWORD


@dataclass
class Api:
    url: str  # the project URL: supabase-js appends /rest/v1 and /realtime/v1
    keys: ApiKeys
    db_url: str
    server: ApiProcess

    def environment(self, shapes: Path, vsn: str | None = None) -> dict[str, Any]:
        return {
            "vsn": vsn,
            "decoder": decoder_here(self.db_url),  # pgoutput cannot carry generated columns
            "url": self.url,
            "anonKey": self.keys.anon,
            "secret": self.keys.secret,  # for the hostile suite's forged tokens
            "serviceKey": self.keys.service_role,
            "tokens": {who: self.keys.user(seed_id(key)) for who, key in PEOPLE.items()},
            "ids": seed_ids(self.db_url),
            "shapes": str(shapes),
        }


def seed_ids(db_url: str) -> dict[str, str]:
    """The demo data's ids the suites name."""
    found = {who: str(seed_id(key)) for who, key in PEOPLE.items()}
    for who in ("camden", "shoreditch"):
        found[who] = str(seed_id(f"vendor:{PEOPLE[who].split(':')[1]}"))
    found |= {
        "pendingPantry": str(seed_id("vendor:pending-pantry")),
        "aliceAddress": str(seed_id("address:alice")),
        "sourdough": str(seed_id("product:camden-bakery:Sourdough loaf")),
        "bun": str(seed_id("product:camden-bakery:Cinnamon bun")),
        "tomatoes": str(seed_id("product:shoreditch-grocer:Heritage tomatoes 500g")),
        "jam": str(seed_id("product:pending-pantry:Mystery jam")),
        "bakery": str(seed_id("category:bakery")),
    }
    for name, customer, shop in (
        ("aliceCamdenOrder", "alice", "camden-bakery"),
        ("aliceShoreditchOrder", "alice", "shoreditch-grocer"),
        ("bobShoreditchOrder", "bob", "shoreditch-grocer"),
        ("chloeCamdenOrder", "chloe", "camden-bakery"),
    ):
        (order,) = query(
            db_url,
            "select id::text from public.orders where user_id = %s and vendor_id = %s",
            [seed_id(f"user:{customer}"), seed_id(f"vendor:{shop}")],
        )[0]
        found[name] = str(order)
    return found


@contextmanager
def serve_api(db_url: str, password: str, *, changes: bool = True) -> Iterator[Api]:
    """PostgREST on ``db_url``'s database behind the project URL's server (REST and Realtime).

    Realtime connects as ``db_url``'s role, the owner, as ``zora-db dev start`` does.
    """
    as_authenticator = with_params(db_url, user="authenticator", password=password)
    keys = ApiKeys(new_secret())
    with (
        PostgrestServer(as_authenticator, keys.secret) as postgrest,
        ApiProcess(free_port(), postgrest.url, db_url, keys.secret, changes=changes) as server,
    ):
        yield Api(server.url, keys, db_url, server)


@pytest.fixture
def api(seeded_db_url: str, authenticator: str, node_modules: Path) -> Iterator[Api]:
    with connect(seeded_db_url, autocommit=True) as conn:
        second = sign_up(conn, "admin2@zora.test", user_id=seed_id(PEOPLE["admin2"]))
        conn.execute("update public.profiles set role = 'admin' where id = %s", [second])
    with serve_api(seeded_db_url, authenticator) as served:
        yield served


def run_suite(
    api: Api, suite: Path, shapes: Path, vsn: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ZORA_API": json.dumps(api.environment(shapes, vsn))}
    return subprocess.run(
        ["node", "--test", "--test-reporter=spec", str(suite)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize(("suite", "vsn"), CASES)
def test_the_apps_calls_through_supabase_js(
    api: Api, suite: Path, vsn: str | None, tmp_path: Path
) -> None:
    shapes = tmp_path / "shapes"
    shapes.mkdir()
    done = run_suite(api, suite, shapes, vsn)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    problems = check_shapes(shapes, suite.name.split(".")[0])
    assert problems == "", problems


def check_shapes(shapes: Path, name: str) -> str:
    """Compile every recorded response as the type supabase-js gives its query; tsc's errors."""
    recorded = sorted(shapes.glob("*.json"))
    if not recorded:
        return ""
    # Inside the node project, so that imports resolve to its node_modules.
    work = node.DIRECTORY / "shape-checks" / name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    lines = [
        'import { createClient, type QueryData } from "@supabase/supabase-js"',
        f'import type {{ Database }} from "{PROJECT_ROOT / "types" / "database.types"}"',
        'const supabase = createClient<Database>("http://localhost", "key")',
        'type Rpc<F extends keyof Database["public"]["Functions"]> =',
        '  Database["public"]["Functions"][F]["Returns"]',
    ]
    for name, spec in QUERIES.items():
        if "from" in spec:
            lines.append(
                f"const {name} = supabase.from({json.dumps(spec['from'])})"
                f".select({json.dumps(spec['select'])})"
            )
    for path in recorded:
        name = path.name.split(".")[0]
        spec = QUERIES[name]
        kind = f"Rpc<{json.dumps(spec['rpc'])}>" if "rpc" in spec else f"QueryData<typeof {name}>"
        value = path.read_text()
        lines.append(f"export const {path.stem.replace('.', '_')}: {kind} = {value}")
    done = tsc(work, "\n".join(lines) + "\n")
    return "" if done.returncode == 0 else done.stdout[-6000:]


def test_a_null_the_types_do_not_allow_fails_the_shape_check(api: Api, tmp_path: Path) -> None:
    shapes = tmp_path / "shapes"
    shapes.mkdir()
    customer = PROJECT_ROOT / "tests" / "api" / "customer.test.mjs"
    assert run_suite(api, customer, shapes).returncode == 0
    assert check_shapes(shapes, "planted") == ""
    # What the apps received before 0016 once a shop went off sale: `vendors: null`.
    detail = next(shapes.glob("order_detail.*.json"))
    rows = json.loads(detail.read_text())
    rows[0]["vendors"] = None
    detail.write_text(json.dumps(rows))
    problems = check_shapes(shapes, "planted")
    assert "error TS" in problems and "null" in problems


def test_the_hostile_suite_breaks_the_schema_before_0018(
    compat_db_url: str, authenticator: str, node_modules: Path, tmp_path: Path
) -> None:
    """Each class of attack the hardening closed succeeds at 0017: the suite can fail."""
    migrations.upgrade(compat_db_url, "0017")
    seed(compat_db_url)
    with serve_api(compat_db_url, authenticator) as api:
        done = run_suite(api, PROJECT_ROOT / "tests" / "api" / "hostile.test.mjs", tmp_path)
    assert done.returncode != 0
    failed = set(re.findall(r"^\s*✖ (.+?) \(\d", done.stdout, re.MULTILINE))
    assert {
        "a vendor prices a product at NaN",
        "a vendor sets its delivery fee to NaN",
        "an order of 51 items",
        "a 5 MiB name",
        "21 addresses in one request",
        "an item into another customer's delivered order (its status is not told)",
        "a review of another customer's delivered order (its status is not told)",
        "a shop orders from itself (to review itself)",
        "an order keeps the address it was placed with",
    } <= failed, done.stdout[-4000:]
    assert "a token signed with another secret" not in failed  # what held holds
