"""The project URL's server (``zora_db.api.server``) as a process of its own.

``zora-db dev start`` keeps it running in the background; the tests start
one per database and restart it to cut every socket, as a dev stack restart
does. Its settings travel in the environment, never on a command line.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from zora_db.errors import BackendUnavailable

READY_TIMEOUT_S = 20.0


class ApiProcess:
    def __init__(
        self,
        port: int,
        postgrest_url: str,
        db_url: str,
        jwt_secret: str,
        *,
        changes: bool = True,
        log: Path | None = None,
    ) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        # A log file, never a pipe: a pipe nobody reads would stop a chatty server.
        self._own_log = log is None  # a temporary one goes with the server
        self.log = log or Path(tempfile.mkstemp(prefix="zora-api-", suffix=".log")[1])
        self.process: subprocess.Popen[bytes] | None = None
        self._environment = {
            **os.environ,
            "ZORA_API_PORT": str(port),
            "ZORA_API_POSTGREST": postgrest_url,
            "ZORA_API_DB_URL": db_url,
            "ZORA_API_JWT_SECRET": jwt_secret,
            "ZORA_API_CHANGES": "1" if changes else "0",
        }

    def start(self) -> None:
        """Start the server and wait until it accepts connections (its services are up then)."""
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "zora_db.api.server"],
                env=self._environment,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not self._accepts():
            if self.process.poll() is not None or time.monotonic() > deadline:
                detail = self._failure()
                self.stop()
                raise BackendUnavailable(
                    f"the API server did not start on {self.url}: {detail}",
                    hint=f"see {self.log}",
                )
            time.sleep(0.02)

    def _failure(self) -> str:
        if self.process is None or self.process.poll() is None:
            return "no answer in time"
        lines = self.log.read_text(errors="replace").strip().splitlines()
        return lines[-1] if lines else f"it exited with {self.process.returncode}"

    def _accepts(self) -> bool:
        with socket.socket() as sock:
            sock.settimeout(0.2)
            return sock.connect_ex(("127.0.0.1", self.port)) == 0

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        """Stop and start on the same port: every socket is cut, as a stack restart cuts it."""
        self.stop()
        self.start()

    def __enter__(self) -> ApiProcess:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
        if self._own_log:
            self.log.unlink(missing_ok=True)
