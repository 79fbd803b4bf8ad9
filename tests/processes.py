"""Which processes the test session started are still running: read from /proc, by ancestry."""

from __future__ import annotations

from pathlib import Path

PROC = Path("/proc")


def _stat(pid_dir: Path) -> tuple[str, int] | None:
    """(state, parent pid) of a process, None when it is gone."""
    try:
        fields = (pid_dir / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[0], int(fields[1])


def alive_descendants(root: int) -> dict[int, str]:
    """Every running (not zombie) process below ``root``, with its command line."""
    children: dict[int, list[int]] = {}
    for pid_dir in PROC.glob("[0-9]*"):
        stat = _stat(pid_dir)
        if stat is not None and stat[0] != "Z":
            children.setdefault(stat[1], []).append(int(pid_dir.name))
    found: dict[int, str] = {}
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found[child] = command_line(child)
            todo.append(child)
    return found


def mentioning(text: str) -> dict[int, str]:
    """Every running process whose command line names ``text`` (a daemon's data directory)."""
    found = {}
    for pid_dir in PROC.glob("[0-9]*"):
        line = command_line(int(pid_dir.name))
        stat = _stat(pid_dir)
        if text in line and stat is not None and stat[0] != "Z":
            found[int(pid_dir.name)] = line
    return found


def command_line(pid: int) -> str:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""
