"""The ``zora-db`` command: parse options, call the API, render, map errors to exit codes.

One module per group of commands (:mod:`.migrate`, :mod:`.generate`,
:mod:`.checks`, :mod:`.dev`) over :mod:`.base`; :mod:`.main` is the entry point.
"""

from zora_db.cli.base import app
from zora_db.cli.main import main

__all__ = ["app", "main"]
