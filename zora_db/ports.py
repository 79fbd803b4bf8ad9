"""Loopback ports for the servers zora-db starts (PostgreSQL, PostgREST, the API gateway)."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A TCP port that was free a moment ago (the caller retries if it is lost)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_free(port: int) -> bool:
    """Whether ``port`` on the loopback address can be bound right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
