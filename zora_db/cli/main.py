"""The ``zora-db`` entry point: global options, and every error mapped to its exit code.

Exit codes are documented in the README (0 success, 1 a bug, 2 usage, 3
configuration, … 130 interrupted) and defined in :mod:`zora_db.errors`.
"""

from __future__ import annotations

import signal
import sys
import traceback
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.markup import escape

from zora_db.cli import checks, dev, generate, migrate, push  # noqa: F401 - they register commands
from zora_db.cli.base import STATE, DatabaseUrl, app, err, out
from zora_db.errors import ConfigError, ZoraDbError, from_database


def _version(value: bool) -> None:
    if value:
        from zora_db import __version__

        out.print(f"zora-db {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    database_url: DatabaseUrl = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show tracebacks and more detail.")
    ] = False,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Alembic config file (default: the project's).",
            envvar="ZORA_DB_CONFIG",
        ),
    ] = None,
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = None,
) -> None:
    STATE.verbose = verbose
    STATE.config_path = config
    STATE.database_url = database_url


def _terminate(signum: int, _frame: FrameType | None) -> None:
    # Turn SIGTERM into an exception so context managers (throwaway clusters,
    # transactions) clean up as they do on Ctrl-C.
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns (and as a script exits with) the exit code."""
    signal.signal(signal.SIGTERM, _terminate)
    args = _global_flags_first(sys.argv[1:] if argv is None else argv)
    try:
        result = app(args=args, standalone_mode=False)
        code = result if isinstance(result, int) else 0
        if code == 130:  # Typer returns Ctrl-C as this code, having said nothing
            _interrupted()
    except ZoraDbError as exc:
        code = _user_error(exc)
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.BadParameter as exc:  # a bad value is configuration (3), like our own checks
        name = exc.param.opts[0] if exc.param and exc.param.opts else "a value"
        message = exc.message.removeprefix("Value error, ").rstrip(".")
        err.print(f"[bold red]error:[/] invalid {escape(name)}: {escape(message)}; see --help")
        code = ConfigError.exit_code
    except typer.TyperException as exc:  # usage errors: Typer prints them as Click did
        exc.show()  # type: ignore[attr-defined]
        code = getattr(exc, "exit_code", 2)
    except (KeyboardInterrupt, typer.Abort):
        code = _interrupted()
    except Exception as exc:
        user = from_database(exc)
        if user is not None:
            code = _user_error(user)
        else:
            if STATE.verbose:
                traceback.print_exc()
            message = " ".join(str(exc).split())
            err.print(
                f"[bold red]internal error:[/] {escape(type(exc).__name__)}: {escape(message)} "
                "(rerun with -v for the traceback)"
            )
            code = 1
    if argv is None:
        sys.exit(code)
    return code


def _interrupted() -> int:
    err.print("interrupted: stopped before finishing (a migration is applied whole or not at all)")
    return 130


def _user_error(exc: ZoraDbError) -> int:
    if STATE.verbose:
        traceback.print_exc()
    err.print(f"[bold red]error:[/] {escape(str(exc))}")
    return exc.exit_code


def _global_flags_first(args: list[str]) -> list[str]:
    """``-v`` works anywhere on the line (``zora-db upgrade -v``), as users type it."""
    end = args.index("--") if "--" in args else len(args)
    verbose = [a for a in args[:end] if a in ("-v", "--verbose")]
    return verbose[:1] + [a for a in args[:end] if a not in verbose] + args[end:]
