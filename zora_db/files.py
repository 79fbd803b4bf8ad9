"""Making a folder hold a set of generated files, or checking that it does.

``dump-sql`` (``sql/``), ``export supabase`` and ``gen-types`` all write text
that is committed, and CI runs each with ``--check`` so the committed copy
never goes stale: one routine does both, so they agree on what "up to date"
means, and a file whose text is already right is never touched (its mtime
stays, and so do editors' and build tools' caches).
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from zora_db.errors import ConfigError


@dataclass(frozen=True)
class Synced:
    """What making ``root`` hold a set of files did, or (checking) would do."""

    root: Path
    updated: list[str]  # new or changed
    removed: list[str]  # files the set no longer has
    unchanged: list[str]
    diff: str  # a unified diff from the disk to the set ('' when equal)

    def __bool__(self) -> bool:
        return bool(self.updated or self.removed)

    def to_json(self) -> dict[str, object]:
        return {
            "root": str(self.root),
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": len(self.unchanged),
        }


def sync(
    root: Path,
    files: Mapping[str, str],
    *,
    check: bool = False,
    owned: Collection[str] = (),
    hint: str = "choose another output path",
) -> Synced:
    """Make ``root`` hold ``files`` (name → text); with ``check``, only say what differs.

    ``owned`` names the files already there that belong to the set's kind: those
    the set no longer has are removed. Nothing else under ``root`` is touched.
    """
    on_disk = {name: _read(root / name) for name in set(files) | set(owned)}
    updated = sorted(name for name, text in files.items() if on_disk[name] != text)
    removed = sorted(name for name in owned if name not in files and on_disk[name] is not None)
    unchanged = sorted(name for name in files if name not in updated)
    diff = "".join(_diff(root / name, on_disk[name], files.get(name)) for name in updated + removed)
    if not check:
        for name in updated:
            _write(root / name, files[name], hint)
        for name in removed:
            (root / name).unlink()
    return Synced(root, updated, removed, unchanged, diff)


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None


def _write(path: Path, text: str, hint: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}", hint=hint) from exc


def _diff(path: Path, old: str | None, new: str | None) -> str:
    return "".join(
        difflib.unified_diff(
            (old or "").splitlines(keepends=True),
            (new or "").splitlines(keepends=True),
            fromfile=f"{path} (on disk)",
            tofile=f"{path} (generated)" if new is not None else f"{path} (removed)",
        )
    )
