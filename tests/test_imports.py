"""zora_db's imports go one way: no cycle, nothing upward, no test rig inside the product.

The walk reads the source (``ast``), so it sees imports inside functions too;
imports under ``if TYPE_CHECKING:`` are left out, since they are never run.
A *unit* is a top-level module or subpackage of ``zora_db``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "zora_db"

# Highest first. A unit imports its own layer or a lower one; within a layer, the
# graph being acyclic is what keeps the direction.
LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("the interface", frozenset({"__main__", "cli"})),
    (
        "the features",
        frozenset({
            "api", "catalog", "catchup", "check", "definitions", "devdb", "drift", "export",
            "lint", "migrations", "objects", "push", "realtime", "safety", "seed", "throwaway",
            "typegen", "verify",
        }),
    ),
    ("the connection", frozenset({"compat", "db", "history", "lockwait", "summary"})),
    (
        "the foundation",
        frozenset({
            "", "acting", "backoff", "contract", "errors", "files", "gotrue", "npm", "paths",
            "ports", "processes", "progress", "settings", "sqlstates", "tokens", "urls",
        }),
    ),
)  # fmt: skip


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _run_time_imports(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from _run_time_imports(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        for field in ("body", "orelse", "finalbody", "handlers"):
            inner = getattr(node, field, None)
            if isinstance(inner, list):
                yield from _run_time_imports(inner)


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module → the package's modules it imports when run (``from p import m``: the module)."""
    package = root.name
    modules = {module_name(p, root): p for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in _run_time_imports(ast.parse(path.read_text()).body):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.split(".")[0] == package}
            elif node.module and node.module.split(".")[0] == package:
                for alias in node.names:
                    submodule = f"{node.module}.{alias.name}"
                    found.add(submodule if submodule in modules else node.module)
        graph[name] = found - {name}
    return graph


def unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def unit_graph(graph: Mapping[str, set[str]]) -> dict[str, set[str]]:
    units: dict[str, set[str]] = {}
    for module, imported in graph.items():
        units.setdefault(unit(module), set()).update(unit(m) for m in imported)
    return {u: found - {u} for u, found in units.items()}


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Each strongly connected group of more than one node (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def upward(units: Mapping[str, set[str]]) -> list[str]:
    """Each import of a unit from a higher layer, as ``importer -> imported``."""
    rank = {name: i for i, (_, members) in enumerate(LAYERS) for name in members}
    return sorted(
        f"{importer or 'zora_db'} -> {imported or 'zora_db'}"
        for importer, found in units.items()
        for imported in found
        if rank[imported] < rank[importer]
    )


def test_every_unit_has_a_layer() -> None:
    placed = set().union(*(members for _, members in LAYERS))
    units = set(unit_graph(import_graph(PACKAGE)))
    assert units - placed == set(), "give these a layer in LAYERS"
    assert placed - units == set(), "these are gone: take them out of LAYERS"


def test_no_module_imports_itself_back() -> None:
    assert cycles(import_graph(PACKAGE)) == []


def test_no_unit_imports_itself_back() -> None:
    assert cycles(unit_graph(import_graph(PACKAGE))) == []


def test_nothing_imports_upward() -> None:
    assert upward(unit_graph(import_graph(PACKAGE))) == []


def test_the_product_needs_no_test_rig() -> None:
    """No module of zora_db imports the tests, the benchmarks or pytest."""
    rigs = {"tests", "benchmarks", "pytest", "_pytest"}
    offenders = sorted(
        module_name(path, PACKAGE)
        for path in PACKAGE.rglob("*.py")
        for node in _run_time_imports(ast.parse(path.read_text()).body)
        if any(
            name.split(".")[0] in rigs
            for name in (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
        )
    )
    assert offenders == []


# ---------------------------------------------------------------- the walk, proven able to fail


def _package(tmp_path: Path, files: Mapping[str, str]) -> Path:
    root = tmp_path / "zora_db"
    for name, text in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_a_planted_cycle_through_a_function_body_is_found(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "history.py": "def f():\n    from zora_db.migrations import run\n",
            "migrations.py": "from zora_db import history\n",
        },
    )
    assert cycles(import_graph(root)) == [["zora_db.history", "zora_db.migrations"]]


def test_a_type_checking_import_is_not_a_cycle(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "catalog.py": "from zora_db.objects import base\n",
            "objects/__init__.py": "",
            "objects/base.py": "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from zora_db.catalog import Catalog\n",
        },
    )
    assert cycles(import_graph(root)) == []


def test_a_cycle_between_packages_is_found(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "api/__init__.py": "",
            "api/server.py": "from zora_db.realtime.hub import Hub\n",
            "api/tokens.py": "",
            "realtime/__init__.py": "",
            "realtime/hub.py": "from zora_db.api.tokens import verify\n",
        },
    )
    graph = import_graph(root)
    assert cycles(graph) == []  # module by module, it is a line...
    assert cycles(unit_graph(graph)) == [["api", "realtime"]]  # ...package by package, a loop


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"db.py": "import zora_db.cli.main\n", "cli/__init__.py": "", "cli/main.py": ""},
         ["db -> cli"]),
        ({"urls.py": "from zora_db.db import connect\n", "db.py": ""}, ["urls -> db"]),
        ({"cli/__init__.py": "from zora_db import db\n", "db.py": ""}, []),
    ],
)  # fmt: skip
def test_a_planted_upward_import_is_found(
    tmp_path: Path, files: dict[str, str], expected: list[str]
) -> None:
    assert upward(unit_graph(import_graph(_package(tmp_path, files)))) == expected
