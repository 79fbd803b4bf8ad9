"""What every command shares: the Typer apps, the consoles, global state, common options.

Start-up matters (CI and shells call ``zora-db`` often): this module and the
command modules import only Typer and Rich at the top. Each command imports
the API it calls inside its body, so ``--help`` loads no driver and ``heads``
no Alembic.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from zora_db.errors import ConfigError

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

# Typer's help shows `<bool>` after every flag, as if it took a value; a flag takes none.
_show_type = typer.core.TyperOption.display_type_rich


def _flag_without_type(option: typer.core.TyperOption, ctx: Any) -> str | None:
    return None if option.is_flag else _show_type(option, ctx)


typer.core.TyperOption.display_type_rich = _flag_without_type  # type: ignore[method-assign,assignment]

app = typer.Typer(
    name="zora-db",
    help="The Zora marketplace database: migrations, Supabase compatibility and tooling.\n\n"
    "The database comes from --database-url, else ZORA_DATABASE_URL, else DATABASE_URL.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)
dev_app = typer.Typer(
    help="The local development database (a persistent cluster under .zora/dev).",
    no_args_is_help=True,
)
app.add_typer(dev_app, name="dev")
push_app = typer.Typer(
    help="Push notifications: the worker that sends the outbox to Expo, and its state.",
    no_args_is_help=True,
)
app.add_typer(push_app, name="push")
export_app = typer.Typer(help="Write the migration history in another tool's format.")
app.add_typer(export_app, name="export")


@dataclass
class State:
    """The global options, set by the main callback before any command runs."""

    verbose: bool = False
    config_path: Path | None = None
    database_url: str | None = None


STATE = State()

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        "-d",
        help="PostgreSQL URL (postgres:// or postgresql://) or libpq key=value string. "
        "Default: $ZORA_DATABASE_URL, then $DATABASE_URL.",
        show_default=False,
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
CheckOnly = Annotated[
    bool,
    typer.Option(
        "--check", help="Write nothing; exit 10 (with what differs) when a file is not up to date."
    ),
]
Schemas = Annotated[
    list[str] | None,
    typer.Option(
        "--schema",
        "-s",
        help="Schema to read (repeatable). Default: every schema that is not PostgreSQL's, "
        "Supabase's or an extension's.",
        show_default=False,
    ),
]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


def say(message: str) -> None:
    """Progress and outcomes, on stderr: stdout is for what a command produces."""
    err.print(escape(message))


def url_of(option: str | None) -> str:
    """The command's --database-url, else the global one, else the environment."""
    from zora_db.urls import resolve_url

    return resolve_url(option or STATE.database_url)


def target_of(option: str | None) -> str | None:
    """The configured URL, or None: the command then works on a throwaway database."""
    from zora_db.urls import configured_url

    return configured_url(option or STATE.database_url)


@contextmanager
def database_for(option: str | None) -> Iterator[str]:
    """The configured database, else a throwaway one migrated to head (and then dropped)."""
    from zora_db.throwaway.databases import database_or_throwaway

    with database_or_throwaway(target_of(option), config_path=STATE.config_path, say=say) as url:
        yield url


def revisions(revs: tuple[str, ...]) -> str:
    return ", ".join(revs) if revs else "base"


def confirm(action: str, warning: str, yes: bool) -> None:
    """Ask before something destructive; refuse without a terminal unless --yes."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise ConfigError(f"refusing to {action} without confirmation", hint="pass --yes")
    if not typer.confirm(f"{action}? {warning}", default=False):
        raise ConfigError(f"did not {action}: not confirmed", hint="nothing was changed")
