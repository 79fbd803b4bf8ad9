"""zora-db: the PostgreSQL schema of the Zora marketplace, and the tools around it."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("zora-db")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0"
