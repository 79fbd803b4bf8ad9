"""The README's layout names every module and package of zora_db, and nothing that is gone."""

from __future__ import annotations

import re

from tests.conftest import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "zora_db"


def _layout() -> str:
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split("## Layout\n", 1)[1]
    return section.split("```\n", 2)[1]


def test_every_module_is_in_the_layout() -> None:
    layout = _layout()
    named = set(re.findall(r"[\w.]+(?:\.py|\.sql|/)", layout))
    ours = {
        p.name + ("/" if p.is_dir() else "")
        for p in PACKAGE.iterdir()
        if not p.name.startswith("__") and (p.is_dir() or p.suffix in (".py", ".sql"))
    }
    assert ours - named == set(), "add these to the README's layout"


def test_the_layout_names_nothing_that_is_gone() -> None:
    listed = []
    for line in _layout().splitlines():
        entry = re.match(r"^  (\S.*?)\s{2,}", line)  # the package's entries, indented once
        if entry:
            listed += entry.group(1).split(", ")
    assert len(listed) > 20
    assert [name for name in listed if not (PACKAGE / name.rstrip("/")).exists()] == []
