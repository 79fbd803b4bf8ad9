"""The migration history, read from the revision files without importing Alembic.

``zora-db heads``, ``history`` and ``current`` only need each revision's id,
parents and message. Alembic finds those by importing every revision module,
which imports Alembic and SQLAlchemy: most of a command's start-up. Here the
files are parsed (``ast``) and the literals read. Anything this reader does
not understand exactly — an id computed at run time, branch labels,
dependencies, recursive version folders, a branched history — returns
``None`` and the caller asks Alembic, so both always agree (a test compares
them on the project's history).
"""

from __future__ import annotations

import ast
import configparser
import os
import re
from dataclasses import dataclass
from pathlib import Path

from zora_db.errors import ConfigError
from zora_db.paths import DEFAULT_CONFIG

# Alembic's own rule for which files in the versions folder are revisions.
_REVISION_FILE = re.compile(r"(?!\.#|__init__).*\.py$")
_SIMPLE_OPTIONS = {"revision", "down_revision", "branch_labels", "depends_on"}


@dataclass(frozen=True)
class RevisionInfo:
    """One revision of the history, as ``history`` and ``heads`` show it."""

    revision: str
    down_revisions: tuple[str, ...]
    message: str
    is_head: bool
    path: Path


def config_file(config_path: Path | None = None) -> Path:
    """The Alembic config file: ``config_path``, else the project's; refused if absent."""
    path = Path(config_path or DEFAULT_CONFIG)
    if not path.is_file():
        raise ConfigError(
            f"Alembic config {path} not found",
            hint="run from a checkout of zora-db or pass --config PATH",
        )
    return path


def history(*, config_path: Path | None = None) -> list[RevisionInfo]:
    """Every revision, newest first (from the files; from Alembic where they are unusual)."""
    fast = read(config_path)
    if fast is not None:
        return fast
    return alembic_history(config_path)


def alembic_history(config_path: Path | None = None) -> list[RevisionInfo]:
    """Every revision, newest first, as Alembic walks them (``history`` falls back to this).

    Alembic is imported here, when it is needed, not by every command's start.
    """
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from alembic.util import to_tuple

    scripts = ScriptDirectory.from_config(Config(str(config_file(config_path))))
    return [
        RevisionInfo(
            revision=s.revision,
            down_revisions=to_tuple(s.down_revision, default=()),
            message=s.doc,
            is_head=s.is_head,
            path=Path(s.path),
        )
        for s in scripts.walk_revisions()
    ]


def heads(*, config_path: Path | None = None) -> list[RevisionInfo]:
    """The head revisions of the history (one, unless branches were left unmerged)."""
    return [info for info in history(config_path=config_path) if info.is_head]


def read(config_path: Path | None = None) -> list[RevisionInfo] | None:
    """Every revision, newest first, as Alembic lists them; ``None``: ask Alembic."""
    folders = _version_folders(config_file(config_path))
    if folders is None or not all(folder.is_dir() for folder in folders):
        return None
    found: dict[str, tuple[tuple[str, ...], str, Path]] = {}
    for path in sorted(p for folder in folders for p in folder.iterdir()):
        if not path.is_file() or not _REVISION_FILE.match(path.name):
            continue
        parsed = _read_revision(path)
        if parsed is None or parsed[0] in found:
            return None
        revision, parents, message = parsed
        found[revision] = (parents, message, path)
    return _linear(found)


_SEPARATORS = {"os": os.pathsep, ":": ":", ";": ";", ",": ",", "space": None, "newline": "\n"}


def _version_folders(config: Path) -> list[Path] | None:
    parser = configparser.ConfigParser(defaults={"here": str(config.parent)})
    try:
        parser.read(config)
        section = parser["alembic"]
        location = section.get("script_location")
        locations = section.get("version_locations")
        separator = section.get("path_separator")
        recursive = section.get("recursive_version_locations", "false").lower()
    except (configparser.Error, KeyError):
        return None  # Alembic reports a broken config in its own words
    if not location or parser.BOOLEAN_STATES.get(recursive, True):
        return None
    if not Path(location).is_absolute() and ":" in location:
        return None  # a package resource ("pkg:folder"): Alembic resolves those
    if not locations:
        # Relative to the working directory, as Alembic reads it.
        return [Path(location) / "versions"]
    if separator not in _SEPARATORS:
        return None  # the legacy splitting rules are Alembic's to apply
    return [Path(p.strip()) for p in locations.split(_SEPARATORS[separator]) if p.strip()]


def _read_revision(path: Path) -> tuple[str, tuple[str, ...], str] | None:
    """(revision, parents, first paragraph of the docstring), when all are literals."""
    try:
        module = ast.parse(path.read_bytes(), filename=str(path))
    except (SyntaxError, ValueError, OSError):
        return None
    values: dict[str, object] = {}
    for node in module.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in _SIMPLE_OPTIONS:
            try:
                values[target.id] = ast.literal_eval(value)
            except ValueError:
                return None
    revision, down = values.get("revision"), values.get("down_revision")
    if not isinstance(revision, str) or values.get("branch_labels") or values.get("depends_on"):
        return None
    if down is None:
        parents: tuple[str, ...] = ()
    elif isinstance(down, str):
        parents = (down,)
    elif isinstance(down, (tuple, list)) and all(isinstance(d, str) for d in down):
        parents = tuple(dict.fromkeys(down))
    else:
        return None
    doc = (ast.get_docstring(module, clean=False) or "").strip()
    return revision, parents, re.split("\n\n", doc)[0]


def _linear(found: dict[str, tuple[tuple[str, ...], str, Path]]) -> list[RevisionInfo] | None:
    """The history newest first, if it is one line from base to a single head."""
    children: dict[str, str] = {}
    base = []
    for revision, (parents, _, _) in found.items():
        if len(parents) > 1:
            return None  # a merge point: Alembic's walk order is its own
        if not parents:
            base.append(revision)
        elif parents[0] in children or parents[0] not in found:
            return None  # a branch point, or a parent no file defines
        else:
            children[parents[0]] = revision
    if len(base) != 1:
        return None if found else []
    chain = [base[0]]
    while chain[-1] in children:
        chain.append(children[chain[-1]])
    if len(chain) != len(found):
        return None
    newest_first = []
    for index, revision in enumerate(reversed(chain)):
        parents, message, path = found[revision]
        newest_first.append(RevisionInfo(revision, parents, message, index == 0, path))
    return newest_first
