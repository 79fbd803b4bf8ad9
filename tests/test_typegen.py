"""zora-db gen-types: the catalog model, golden files, real rows, mypy and tsc."""

from __future__ import annotations

import importlib.util
import json
import os
import random
import shutil
import string
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from tests import node
from tests import postgres_meta as supabase_generator
from tests.cli import run_cli
from tests.conftest import PROJECT_ROOT, as_superuser, query, skip_without_node
from tests.typegen.compare import unexplained
from tests.typescript import tsc
from zora_db.catalog import Catalog, introspect, introspect_connection
from zora_db.throwaway import Throwaway
from zora_db.typegen import LANGUAGES, Options, generate
from zora_db.typegen.collation import english_key
from zora_db.typegen.model import build

HERE = Path(__file__).parent / "typegen"
GOLDEN = {"pydantic": "golden_models.py", "typeddict": "golden_rows.py", "typescript": "golden.ts"}
UPDATE_GOLDEN = os.environ.get("ZORA_UPDATE_GOLDEN") == "1"


@pytest.fixture
def fixed_schema_url(vanilla_db_url: str) -> str:
    """The small fixed schema of tests/typegen/schema.sql: every mapping once."""
    query(vanilla_db_url, (HERE / "schema.sql").read_text())
    return vanilla_db_url


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # pydantic resolves annotations through the module
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------- catalog


def _introspect_counted(url: str, schemas: tuple[str, ...] | None = None) -> tuple[Catalog, int]:
    """The catalog, and the statements its connection executed (counted by the cursor)."""
    executed: list[object] = []

    class Counting(psycopg.Cursor[Any]):
        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            executed.append(query)
            return super().execute(query, params, **kwargs)

    with psycopg.connect(url, cursor_factory=Counting) as conn:
        catalog = introspect_connection(conn, schemas)
    return catalog, len(executed) - 1  # less `set local jit = off`


def test_catalog_query_count_does_not_grow_with_tables(db_url: str) -> None:
    before, ran_before = _introspect_counted(db_url)
    query(
        db_url,
        "do $$ begin for i in 1..60 loop execute format("
        "'create table public.extra_%s (id int primary key, owner uuid references "
        "public.profiles (id), note varchar(20))', i); end loop; end $$",
    )
    after, ran_after = _introspect_counted(db_url)
    assert ran_before == ran_after, "a catalog query per table crept in"
    assert (before.queries, after.queries) == (ran_before, ran_after)  # its count is what ran
    assert len(after.tables) == len(before.tables) + 60
    given, ran_given = _introspect_counted(db_url, ("public",))
    assert given.queries == ran_given == ran_after - 1  # the schema list is given, not read


def test_catalog_reads_columns_types_and_functions(fixed_schema_url: str) -> None:
    catalog = introspect(fixed_schema_url, ("public",))
    things = catalog.relation("public.things")
    assert things is not None and things.comment == "Everything a generator must spell"
    price = things.column("price")
    assert (price.numeric_precision, price.numeric_scale, price.nullable) == (12, 2, False)
    assert price.comment == "Price in the currency's\nmajor unit"
    assert things.column("short").max_length == 10
    assert things.column("grid").array_dimensions == 2
    assert things.column("tags").type_ref.element is not None
    assert things.column("tags").type_ref.element.name == "text"
    assert things.column("serial_no").identity == "by default"
    assert things.column("doubled").generated and things.column("doubled").default is None
    assert things.column("at_utc").default == "now()"
    assert things.column("mood").type_ref.qualified == "public.mood"
    functions = {f.name: f for f in catalog.functions}
    add = functions["add_numbers"]
    assert [(a.name, a.has_default) for a in add.inputs] == [("a", False), ("b", True)]
    assert functions["things_of"].returns_set and functions["things_of"].return_type_ref.relation
    assert [a.name for a in functions["label_counts"].outputs] == ["label", "n"]
    assert not functions["add_numbers"].returns_set


# --------------------------------------------------------------------------- golden files


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_golden_file(fixed_schema_url: str, language: str) -> None:
    text = generate(introspect(fixed_schema_url, ("public",)), language)
    golden = HERE / GOLDEN[language]
    if UPDATE_GOLDEN:
        golden.write_text(text)
    assert text == golden.read_text(), f"differs from {golden}; ZORA_UPDATE_GOLDEN=1 rewrites it"


def test_output_is_byte_identical_for_the_same_schema(
    fixed_schema_url: str, server: Throwaway
) -> None:
    again = server.create_database()
    query(again, (HERE / "schema.sql").read_text())
    for language in LANGUAGES:
        first = generate(introspect(fixed_schema_url, ("public",)), language)
        assert generate(introspect(again, ("public",)), language) == first


def test_the_golden_models_validate_and_reject(fixed_schema_url: str) -> None:
    models = _load(HERE / GOLDEN["pydantic"], "golden_models")
    owner = query(fixed_schema_url, "insert into public.owners (name) values ('Ann') returning id")
    thing = models.ThingsInsert.model_validate(
        {"owner_id": owner[0][0], "dbl": 1.5, "price": "9.99", "from": "a", "grid": [[1, 2]]}
    )
    assert thing.from_ == "a"
    with pytest.raises(ValueError, match=r"at most 50 characters"):
        models.ThingsInsert(owner_id=1, dbl=1.0, price="1", label="x" * 51)
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        models.ThingsInsert(owner_id=1, dbl=1.0, price="-1")
    with pytest.raises(ValueError, match="less than or equal to 5"):
        models.ThingsInsert(owner_id=1, dbl=1.0, price="1", small=6)
    with pytest.raises(ValueError, match="decimal places"):
        models.ThingsInsert(owner_id=1, dbl=1.0, price="1.234")
    assert "id" not in models.OwnersInsert.model_fields  # generated always as identity
    assert "doubled" not in models.ThingsInsert.model_fields
    assert (
        models.ThingsRow.model_fields["price"].description == "Price in the currency's\nmajor unit"
    )


# --------------------------------------------------------------------------- the Zora schema


@pytest.fixture(scope="module")
def zora_types(tmp_path_factory: pytest.TempPathFactory, server: Throwaway) -> dict[str, Path]:
    """The three files generated from a database at head (the template)."""
    from tests.conftest import HEAD_TEMPLATE

    catalog = introspect(server.url(HEAD_TEMPLATE), ("public",))
    out = tmp_path_factory.mktemp("zora_types")
    paths = {}
    for language, spec in LANGUAGES.items():
        paths[language] = out / spec.default_path.name
        paths[language].write_text(generate(catalog, language))
    return paths


def _tables(url: str) -> list[str]:
    """The app's tables (not Alembic's)."""
    return [
        t
        for (t,) in query(url, "select tablename from pg_tables where schemaname = 'public'")
        if t != "alembic_version"
    ]


def test_every_row_model_validates_real_rows(
    zora_types: dict[str, Path], seeded_db_url: str
) -> None:
    models = _load(zora_types["pydantic"], "zora_models_rows")
    checked = 0
    with psycopg.connect(seeded_db_url, row_factory=dict_row) as conn:
        for table in _tables(seeded_db_url):
            model = getattr(models, f"{_pascal(table)}Row")
            rows = conn.execute(
                sql.SQL("select * from {}").format(sql.Identifier(table))
            ).fetchall()
            assert rows, f"the demo data has no {table}"
            for row in rows:
                assert model.model_validate(row).model_dump() == row
                checked += 1
    assert checked > 100


def test_every_insert_model_inserts(
    server: Throwaway, zora_types: dict[str, Path], seeded_db_url: str
) -> None:
    """Each table's first row, deleted and put back through its Insert model."""
    models = _load(zora_types["pydantic"], "zora_models_inserts")
    superuser = as_superuser(server, seeded_db_url)  # only it may switch the triggers off
    with psycopg.connect(superuser, row_factory=dict_row) as conn:
        conn.execute("set session_replication_role = replica")  # the row as it was, no triggers
        for table in _tables(seeded_db_url):
            name = sql.Identifier(table)
            row = conn.execute(sql.SQL("select * from {} limit 1").format(name)).fetchone()
            assert row is not None
            insert = models.__dict__[f"{_pascal(table)}Insert"]
            data = insert.model_validate({k: v for k, v in row.items() if k in insert.model_fields})
            values = data.model_dump()  # what was set, by column name: no options needed
            assert set(values) <= set(row)
            json_columns = _json_columns(conn, table)
            ctid = conn.execute(sql.SQL("select ctid from {} limit 1").format(name)).fetchone()
            assert ctid is not None
            conn.execute(sql.SQL("delete from {} where ctid = %s").format(name), [ctid["ctid"]])
            columns = sql.SQL(", ").join(map(sql.Identifier, values))
            placeholders = sql.SQL(", ").join(sql.Placeholder() * len(values))
            conn.execute(
                sql.SQL("insert into {} ({}) overriding system value values ({})").format(
                    name, columns, placeholders
                ),
                [Jsonb(v) if k in json_columns else v for k, v in values.items()],
            )
        conn.rollback()


def _json_columns(conn: psycopg.Connection[Any], table: str) -> set[str]:
    rows = conn.execute(
        "select column_name from information_schema.columns where table_schema = 'public' "
        "and table_name = %s and data_type in ('json', 'jsonb')",
        [table],
    ).fetchall()
    return {r["column_name"] for r in rows}


def _pascal(name: str) -> str:
    return "".join(w.capitalize() for w in name.split("_"))


MYPY = [sys.executable, "-m", "mypy", "--strict", "--no-incremental"]
TYPED_MISTAKES = {  # the mistake, and the error mypy must name
    "a row read as the wrong type": (
        "def total(row: OrdersRow) -> str:\n    return row['total']\n",
        "return-value",
    ),
    "a misspelt insert key": (
        "item: CartItemsInsert = {'product_id': U, 'user_id': U, 'vendor_id': U, 'quantiy': 1}\n",
        "typeddict-unknown-key",
    ),
    "null for a NOT NULL column with a default": (
        "item: CartItemsInsert = "
        "{'product_id': U, 'user_id': U, 'vendor_id': U, 'quantity': None}\n",
        "typeddict-item",
    ),
    "a generated column in an insert": (
        "order: OrdersInsert = {'user_id': U, 'vendor_id': U, 'total': 1}\n",
        "typeddict-unknown-key",
    ),
}


@pytest.fixture(scope="module")
def typed_app(zora_types: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An app directory with the committed package layout: ``import zora_types.models``."""
    app = tmp_path_factory.mktemp("app")
    (app / "zora_types").mkdir()
    shutil.copy(PROJECT_ROOT / "zora_types" / "__init__.py", app / "zora_types")
    shutil.copy(zora_types["pydantic"], app / "zora_types" / "models.py")
    shutil.copy(zora_types["typeddict"], app / "zora_types" / "rows.py")
    return app


def test_generated_python_passes_mypy_strict(typed_app: Path) -> None:
    shutil.copy(HERE / GOLDEN["pydantic"], typed_app / "golden_models.py")
    shutil.copy(HERE / GOLDEN["typeddict"], typed_app / "golden_rows.py")
    (typed_app / "use_types.py").write_text(
        "import types  # the standard library's, not shadowed by the generated package\n"
        "from decimal import Decimal\n"
        "from uuid import uuid4\n"
        "from zora_types.models import OrdersInsert, OrderStatus\n"
        "from zora_types.rows import CartItemsInsert, OrdersRow\n\n"
        "order = OrdersInsert(user_id=uuid4(), vendor_id=uuid4())\n"
        "status: OrderStatus = OrderStatus.PENDING\n"
        "item: CartItemsInsert = {\n"
        "    'product_id': uuid4(), 'user_id': uuid4(), 'vendor_id': uuid4()}\n"
        "assert isinstance(types.SimpleNamespace(), object)\n\n"
        "def total(row: OrdersRow) -> Decimal | None:\n"
        "    return row['total']\n"
    )
    targets = ["zora_types", "use_types.py", "golden_models.py", "golden_rows.py"]
    ok = subprocess.run([*MYPY, *targets], cwd=typed_app, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr


@pytest.mark.parametrize("mistake", sorted(TYPED_MISTAKES))
def test_typeddicts_refuse_at_type_check(typed_app: Path, mistake: str) -> None:
    source, error = TYPED_MISTAKES[mistake]
    bad = typed_app / "bad_use.py"
    bad.write_text(
        "from uuid import uuid4\n"
        "from zora_types.rows import CartItemsInsert, OrdersInsert, OrdersRow\n\n"
        "U = uuid4()\n" + source
    )
    failing = subprocess.run([*MYPY, "bad_use.py"], cwd=typed_app, capture_output=True, text=True)
    errors = [line for line in failing.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1 and f"[{error}]" in errors[0], failing.stdout


def test_the_models_import_by_their_documented_name(typed_app: Path) -> None:
    """A Python app puts the package on its path and imports it; `types` stays the stdlib's."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import types, zora_types.models as m, zora_types.rows as r; "
            "assert types.SimpleNamespace and m.OrdersInsert and r.OrdersRow",
        ],
        cwd=typed_app,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


# --------------------------------------------------------------------------- refusals


@pytest.fixture(scope="module")
def zora_models(zora_types: dict[str, Path]) -> ModuleType:
    return _load(zora_types["pydantic"], "zora_models_refusals")


MODEL_MISTAKES = {
    "a misspelt field": ("CartItemsInsert", {"quantiy": 5}, "extra_forbidden"),
    "a generated column on insert": ("OrdersInsert", {"total": 10}, "extra_forbidden"),
    "a generated column on update": ("OrdersUpdate", {"total": 10}, "extra_forbidden"),
    "null for a NOT NULL column with a default": (
        "CartItemsInsert",
        {"quantity": None},
        "int_type",
    ),
    "null for a NOT NULL column on update": ("OrdersUpdate", {"status": None}, "enum"),
    "null for a NOT NULL json column": ("NotificationsInsert", {"data": None}, "data"),
}


@pytest.mark.parametrize("mistake", sorted(MODEL_MISTAKES))
def test_models_refuse_what_the_database_refuses(
    zora_models: ModuleType, db_url: str, mistake: str
) -> None:
    name, planted, error = MODEL_MISTAKES[mistake]
    model = getattr(zora_models, name)
    table = _snake(name.removesuffix("Insert").removesuffix("Update"))
    base = _minimal(zora_models, db_url, table) if name.endswith("Insert") else {}
    assert model.model_validate(base), "the minimal values alone must validate"
    with pytest.raises(ValueError, match=error):
        model.model_validate({**base, **planted})
    if name.endswith("Insert"):  # and the database says no to the same values
        with pytest.raises(psycopg.Error):
            _insert(db_url, table, {**base, **planted})


def test_absent_is_not_null_and_a_dump_sends_only_what_was_set(
    zora_models: ModuleType, db_url: str
) -> None:
    base = _minimal(zora_models, db_url, "cart_items")
    item = zora_models.CartItemsInsert.model_validate(base)
    assert item.model_dump() == base  # quantity absent: the database's default applies
    assert _insert(db_url, "cart_items", item.model_dump())["quantity"] == 1
    with_quantity = zora_models.CartItemsInsert.model_validate({**base, "quantity": 3})
    assert with_quantity.model_dump() == {**base, "quantity": 3}
    nothing = zora_models.OrdersUpdate()
    assert nothing.model_dump() == {} and nothing.model_dump_json() == "{}"
    cleared = zora_models.OrdersUpdate(notes=None)  # a nullable column may be set to null
    assert cleared.model_dump() == {"notes": None}


def test_rows_read_columns_they_do_not_know(zora_models: ModuleType) -> None:
    """A row from a newer schema still validates; writing models are the strict ones."""
    row = zora_models.SystemConfigRow.model_validate(
        {"key": "k", "value": {}, "description": None, "created_at": "2026-01-01T00:00:00Z",
         "updated_at": "2026-01-01T00:00:00Z", "updated_by": None, "added_later": 1}
    )  # fmt: skip
    assert row.key == "k" and not hasattr(row, "added_later")


def _snake(pascal: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in pascal).lstrip("_")


def _minimal(models: ModuleType, url: str, table: str) -> dict[str, Any]:
    """Values for the required fields only, in a database at head without demo data."""
    customer, owner = (
        query(url, "insert into auth.users (id, email) values (gen_random_uuid(), %s) "
              "returning id", [f"{who}@example.com"])[0][0]
        for who in ("customer", "owner")
    )  # fmt: skip
    for user in (customer, owner):  # a trigger may have made the profile already
        query(url, "insert into public.profiles (id) values (%s) on conflict do nothing", [user])
    vendor = query(
        url,
        "insert into public.vendors (user_id, shop_name) values (%s, 'S') returning id",
        [owner],
    )[0][0]
    if table == "cart_items":
        product = query(
            url,
            "insert into public.products (vendor_id, name, price) values (%s, 'P', 1) returning id",
            [vendor],
        )[0][0]
        return {"user_id": customer, "vendor_id": vendor, "product_id": product}
    if table == "notifications":
        return {"user_id": customer, "title": "t", "type": "system"}
    return {"user_id": customer, "vendor_id": vendor}


def _insert(url: str, table: str, values: dict[str, Any]) -> dict[str, Any]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        row = conn.execute(
            sql.SQL("insert into {} ({}) values ({}) returning *").format(
                sql.Identifier("public", table),
                sql.SQL(", ").join(map(sql.Identifier, values)),
                sql.SQL(", ").join(sql.Placeholder() * len(values)),
            ),
            [Jsonb(v) if isinstance(v, dict) else v for v in values.values()],
        ).fetchone()
        assert row is not None
        return row


# --------------------------------------------------------------------------- TypeScript

USE_TS = """\
import { createClient } from "@supabase/supabase-js"
import type { Database, Enums, Tables, TablesInsert, TablesUpdate } from "./database.types"

const supabase = createClient<Database>("http://localhost:54321", "anon-key")

export async function newestOrders(userId: string): Promise<Tables<"orders">[]> {
  const { data, error } = await supabase
    .from("orders")
    .select("*")
    .eq("user_id", userId)
    .order("created_at", { ascending: false })
    .limit(20)
  if (error) throw error
  return data
}

export async function place(order: TablesInsert<"orders">): Promise<string> {
  const { data, error } = await supabase.from("orders").insert(order).select("id").single()
  if (error) throw error
  return data.id
}

export async function cancel(id: string): Promise<void> {
  const change: TablesUpdate<"orders"> = { status: "cancelled" }
  const { error } = await supabase.from("orders").update(change).eq("id", id)
  if (error) throw error
}

export async function customersOfMyShop(): Promise<(string | null)[]> {
  // A vendor reads the orders of its shop and the profiles of their customers.
  const { data, error } = await supabase.from("orders").select("id, profiles(full_name)")
  if (error) throw error
  return data.map((order) => order.profiles.full_name)
}

export async function nearest(): Promise<number> {
  const { data, error } = await supabase.rpc("nearby_vendors", { lat: 51.5, lng: -0.1 })
  if (error) throw error
  return data[0]?.distance_km ?? 0
}

export async function placed(vendorId: string): Promise<number> {
  const { data, error } = await supabase
    .rpc("create_order", { vendor_id: vendorId, items: [] })
    .select("id, order_items(quantity)")
  if (error) throw error
  return data.order_items.reduce((sum, item) => sum + item.quantity, 0)
}

export const pending: Enums<"order_status"> = "pending"
"""
TS_ERRORS = {
    "a forged total": """
export async function forge(): Promise<void> {
  await supabase.from("orders").insert({ user_id: "u", vendor_id: "v", total: 1 })
}""",
    "a status that does not exist": """
export const status: Enums<"order_status"> = "shipped\"""",
    "a column read as the wrong type": """
export async function wrong(): Promise<number> {
  const { data } = await supabase.from("orders").select("*").single()
  return data!.status
}""",
    "an embed create_order's rows do not have": """
export async function wrongEmbed(): Promise<void> {
  const { data } = await supabase.rpc("create_order", { vendor_id: "v", items: [] })
    .select("id, categories(name)")
  const name: string = data!.categories.name
}""",
    "a null for a NOT NULL json column": """
export async function nullData(): Promise<void> {
  await supabase.from("system_config").insert({ key: "k", value: null })
}""",
    "an embed RLS can hide (a reviewer's private profile)": """
export async function reviewer(): Promise<string | null> {
  const { data } = await supabase.from("reviews").select("*, profiles(full_name)").single()
  return data!.profiles.full_name
}""",
    "a missing function argument": """
export async function nearest(): Promise<void> {
  await supabase.rpc("nearby_vendors", { lat: 51.5 })
}""",
}
TS_PRELUDE = """\
import { createClient } from "@supabase/supabase-js"
import type { Database, Enums } from "./database.types"
const supabase = createClient<Database>("http://localhost:54321", "anon-key")
"""


@pytest.fixture(scope="session")
def node_project() -> Path:
    """typescript and @supabase/supabase-js (the tests' pins) in .zora/test-node."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        skip_without_node("node and npm are not installed: the TypeScript check needs them")
    return node.install()


def _tsc(project: Path, types: Path, source: str) -> subprocess.CompletedProcess[str]:
    shutil.copy(types, project / "database.types.ts")
    return tsc(project, source)


def test_typescript_compiles_with_supabase_js(
    node_project: Path, zora_types: dict[str, Path]
) -> None:
    done = _tsc(node_project, zora_types["typescript"], USE_TS)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("mistake", sorted(TS_ERRORS))
def test_typescript_rejects(node_project: Path, zora_types: dict[str, Path], mistake: str) -> None:
    done = _tsc(node_project, zora_types["typescript"], TS_PRELUDE + TS_ERRORS[mistake])
    assert done.returncode != 0 and "error TS" in done.stdout, done.stdout


def test_the_golden_typescript_compiles(node_project: Path) -> None:
    source = 'import type { Tables } from "./database.types"\nexport type T = Tables<"things">\n'
    done = _tsc(node_project, HERE / GOLDEN["typescript"], source)
    assert done.returncode == 0, done.stdout + done.stderr


# --------------------------------------------------------------------------- the command


def test_committed_types_are_up_to_date(
    server: Throwaway, capsys: pytest.CaptureFixture[str]
) -> None:
    """What `make test` guards: types/ and zora_types/ match the migrations at head."""
    from tests.conftest import HEAD_TEMPLATE

    outcome = run_cli(
        capsys,
        "-d",
        server.url(HEAD_TEMPLATE),
        "gen-types",
        "--check",
        "--out",
        str(PROJECT_ROOT),
    )
    assert outcome.code == 0, (
        f"types/ or zora_types/ is stale: run `zora-db gen-types`\n{outcome.out}"
    )


def test_check_prints_a_diff_and_writes_nothing(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "db.ts"
    target.write_text("// old\n")
    outcome = run_cli(
        capsys, "-d", db_url, "gen-types", "-l", "typescript", "-o", str(target), "--check"
    )
    assert outcome.code == 10
    assert "-// old" in outcome.out and "+export type Database = {" in outcome.out
    assert "out of date" in outcome.err
    assert target.read_text() == "// old\n"


def test_writes_then_reports_unchanged(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = run_cli(capsys, "-d", db_url, "gen-types", "-o", str(tmp_path))
    assert first.code == 0, first.err
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.*")) == [
        "types/database.types.ts",
        "zora_types/models.py",
        "zora_types/rows.py",
    ]
    written = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*.*")}
    again = run_cli(capsys, "-d", db_url, "gen-types", "-o", str(tmp_path))
    assert "0 written, 3 unchanged" in again.out
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*.*")} == written
    assert run_cli(capsys, "-d", db_url, "gen-types", "-o", str(tmp_path), "--check").code == 0


def test_a_column_added_by_a_migration_appears(
    compat_db_url: str,
    extra_migrations: Callable[[str, str], Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = extra_migrations(
        "t1", "alter table public.orders add column gift_message varchar(200)"
    )
    upgraded = run_cli(capsys, "-c", str(config), "-d", compat_db_url, "upgrade")
    assert upgraded.code == 0, upgraded.err
    out = tmp_path / "db.ts"
    made = run_cli(capsys, "-d", compat_db_url, "gen-types", "-l", "typescript", "-o", str(out))
    assert made.code == 0, made.err
    assert "gift_message: string | null" in out.read_text()
    assert "gift_message" not in (PROJECT_ROOT / "types" / "database.types.ts").read_text()


def test_an_unknown_schema_is_a_clear_error(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = run_cli(capsys, "-d", db_url, "gen-types", "--schema", "nope", "--check")
    assert outcome.code == 3
    assert "schema nope has no tables or views" in outcome.err
    assert "Traceback" not in outcome.err


def test_gen_types_without_a_url_uses_a_throwaway(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ZORA_DATABASE_URL", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    outcome = run_cli(capsys, "gen-types", "--check", "--out", str(PROJECT_ROOT))
    assert outcome.code == 0, outcome.out + outcome.err
    assert "temporary database on a throwaway server" in outcome.err


# --------------------------------------------------------------------------- against Supabase's own


@pytest.fixture(scope="session")
def postgres_meta() -> Path:
    """Supabase's generator (postgres-meta, pinned) in .zora/postgres-meta."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        skip_without_node("node and npm are not installed: postgres-meta needs them")
    return supabase_generator.server_script()


def test_typescript_is_supabases_on_the_fixture(postgres_meta: Path, fixed_schema_url: str) -> None:
    ours = generate(introspect(fixed_schema_url, ("public",)), "typescript")
    assert unexplained(supabase_generator.generate(fixed_schema_url), ours) == []


def test_typescript_is_supabases_on_the_zora_schema(postgres_meta: Path, db_url: str) -> None:
    ours = generate(introspect(db_url, ("public",)), "typescript")
    assert unexplained(supabase_generator.generate(db_url), ours) == []


PLANTED = {  # a mistake in our output, and a line it changes
    "a NOT NULL json column typed nullable": (
        "          settings: NonNullable<Json>\n",
        "          settings: Json\n",
    ),
    "SetofOptions missing": ("          isSetofReturn: true\n", ""),
    "a relationship through a view missing": (
        '            referencedRelation: "cheap_things"\n',
        "",
    ),
    "a table column made nullable": (
        "          owner_id: number\n",
        "          owner_id: number | null\n",
    ),
}


@pytest.mark.parametrize("mistake", sorted(PLANTED))
def test_the_comparison_catches_a_planted_difference(
    postgres_meta: Path, fixed_schema_url: str, mistake: str
) -> None:
    ours = generate(introspect(fixed_schema_url, ("public",)), "typescript")
    line, planted = PLANTED[mistake]
    assert line in ours
    found = unexplained(
        supabase_generator.generate(fixed_schema_url), ours.replace(line, planted, 1)
    )
    assert found and (planted.strip() or line.strip()) in "".join(found)


def test_members_are_in_english_collation_order(node_project: Path) -> None:
    """Our sort key against Node's Intl.Collator("en"), on names where code points disagree."""
    alphabet = string.ascii_letters + string.digits + " _-$.'\"()[]{}@*/\\&#%`^+<=>|~,;:!?"
    rng = random.Random(7)  # noqa: S311 - test data, not secrets
    names = ["user_id", "userid", "User_id", "a-b", "a_b", "ab", "Weird Name", "x", "éa", "eb"]
    names += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6))) for _ in range(300)]
    node = subprocess.run(
        ["node", "-e", "const n = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
         "const c = new Intl.Collator('en'); console.log(JSON.stringify(n.sort(c.compare)))"],
        input=json.dumps(names), capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert sorted(names, key=english_key) == json.loads(node.stdout)
    assert sorted(names) != json.loads(node.stdout)  # code points would not do


def test_postgrest_version_option(
    fixed_schema_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "db.ts"
    base = ["-d", fixed_schema_url, "gen-types", "-l", "typescript", "-o", str(out)]
    assert run_cli(capsys, *base, "--postgrest-version", "13").code == 0
    text = out.read_text()
    assert 'PostgrestVersion: "13"' in text and "--postgrest-version 13`" in text
    assert run_cli(capsys, *base, "--postgrest-version", "none").code == 0
    assert "__InternalSupabase" not in out.read_text().split("type DatabaseWithoutInternals")[0]
    wrong = run_cli(capsys, *base, "--postgrest-version", "latest")
    assert wrong.code == 3 and "is not a version" in wrong.err and "Traceback" not in wrong.err


# --------------------------------------------------------------------------- RLS-honest embeds

EMBEDS = """
create schema embeds;
grant usage on schema embeds to anon, authenticated;
create table embeds.shown (id int primary key, note text);
create table embeds.referring (id int primary key, shown_id int references embeds.shown);
grant select on embeds.shown, embeds.referring to anon, authenticated;
"""


@pytest.mark.parametrize(
    ("case", "ddl", "hidden_by"),
    [
        ("no row level security on either", "", ""),
        (
            "every row of both, by policy",
            "alter table embeds.shown enable row level security;"
            "create policy everyone on embeds.shown for select using (true);",
            "",
        ),
        (
            "every referring row, some shown rows",
            "alter table embeds.shown enable row level security;"
            "create policy partly on embeds.shown for select using (id > 0);",
            "anon reads every row of referring, not every row of shown",
        ),
        (
            "every referring row, none of the shown rows for anon",
            "alter table embeds.shown enable row level security;"
            "create policy theirs on embeds.shown for select to authenticated using (true);",
            "anon reads every row of referring, not every row of shown",
        ),
        (
            "every referring row, the shown table not granted",
            "revoke select on embeds.shown from authenticated;",
            "authenticated reads every row of referring, not every row of shown",
        ),
        (
            "only some referring rows: the policies' business, checked by verify",
            "alter table embeds.shown enable row level security;"
            "alter table embeds.referring enable row level security;"
            "create policy partly on embeds.referring for select using (id > 0);",
            "",
        ),
        (
            "a restrictive policy is not a permissive one",
            "alter table embeds.shown enable row level security;"
            "create policy everyone on embeds.shown as restrictive for select using (true);",
            "anon reads every row of referring, not every row of shown",
        ),
    ],
)
def test_an_embed_rls_can_hide_is_not_typed(
    db_url: str, case: str, ddl: str, hidden_by: str
) -> None:
    query(db_url, EMBEDS + ddl)
    schema = build(introspect(db_url, ("embeds",)), "embeds")
    (relationship,) = next(t for t in schema.tables if t.name == "referring").relationships
    assert relationship.hidden_by_rls == hidden_by, case
    typescript = generate(
        introspect(db_url, ("embeds",)), "typescript", Options(schemas=("embeds",))
    )
    entry = 'foreignKeyName: "referring_shown_id_fkey"'
    comment = "// referring_shown_id_fkey → shown: not typed, RLS can hide that row"
    assert (entry in typescript, comment in typescript) == (not hidden_by, bool(hidden_by))
