"""The session's own check for processes left behind can see them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.processes import alive_descendants, mentioning
from zora_db.processes import alive, end

SLEEP = [sys.executable, "-c", "import time, sys; time.sleep(60)"]


def test_a_child_and_its_child_are_seen_until_they_end() -> None:
    spawner = (
        "import subprocess, sys; child = subprocess.Popen(sys.argv[1:]);"
        " print(child.pid, flush=True); child.wait()"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", spawner, *SLEEP], stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    grandchild = int(parent.stdout.readline())  # printed once it runs: no waiting on a clock
    try:
        assert {parent.pid, grandchild} <= set(alive_descendants(os.getpid()))
    finally:
        os.kill(grandchild, 9)
        parent.wait()
        parent.stdout.close()
    assert not {parent.pid, grandchild} & set(alive_descendants(os.getpid()))


def test_a_daemon_is_found_by_the_folder_it_serves(tmp_path: Path) -> None:
    marker = str(tmp_path / "pgdata")
    # Detached as pg_ctl detaches postgres: not a child any more, found by its folder.
    daemon = subprocess.Popen([*SLEEP, marker], start_new_session=True)
    try:
        assert daemon.pid in mentioning(marker)
    finally:
        daemon.kill()
        daemon.wait()
    assert mentioning(marker) == {}


def test_end_waits_for_the_exit_and_kills_what_ignores_sigterm() -> None:
    stubborn = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
            " print('ready', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert stubborn.stdout is not None and stubborn.stdout.readline() == "ready\n"
    assert end(stubborn.pid, timeout=0.2) is True
    assert not alive(stubborn.pid)
    assert end(stubborn.pid) is False  # nothing to stop twice
    stubborn.stdout.close()


def test_an_exited_child_does_not_count_as_running() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # exited, left a zombie
    assert alive(child.pid) is False  # reaped here
