"""Which processes the test session started are still running: read from /proc, by ancestry."""

from __future__ import annotations

from pathlib import Path

from zora_db.processes import state_and_parent

PROC = Path("/proc")


def alive_descendants(root: int) -> dict[int, str]:
    """Every running (not zombie) process below ``root``, with its command line."""
    children: dict[int, list[int]] = {}
    for pid_dir in PROC.glob("[0-9]*"):
        stat = state_and_parent(int(pid_dir.name))
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
        stat = state_and_parent(int(pid_dir.name))
        if text in line and stat is not None and stat[0] != "Z":
            found[int(pid_dir.name)] = line
    return found


def command_line(pid: int) -> str:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""
