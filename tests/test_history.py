"""The history read from the files agrees with Alembic's, and hands Alembic what it cannot read."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT
from zora_db import history, migrations


def _copy_of_history(tmp_path: Path) -> tuple[Path, Path]:
    """A config and a versions folder holding the project's revisions, free to edit."""
    scripts = tmp_path / "alembic"
    shutil.copytree(PROJECT_ROOT / "alembic", scripts, ignore=shutil.ignore_patterns("__pycache__"))
    config = tmp_path / "alembic.ini"
    config.write_text(f"[alembic]\nscript_location = {scripts}\npath_separator = os\n")
    return config, scripts / "versions"


def _add(versions: Path, name: str, body: str) -> None:
    (versions / name).write_text(textwrap.dedent(body))


def test_the_project_history_reads_as_alembic_reads_it() -> None:
    fast = history.read()
    assert fast is not None, "the project's own history must take the fast path"
    assert fast == migrations.alembic_history()
    assert [i.revision for i in history.heads()] == [
        s.revision for s in migrations.script_directory().get_revisions("heads") if s
    ]


def test_a_second_version_location_is_read_too(tmp_path: Path) -> None:
    from tests.conftest import history_config

    config, versions = history_config(tmp_path)
    head = migrations.alembic_history()[0].revision
    _add(versions, "9001_more.py", f'"""more"""\nrevision = "9001"\ndown_revision = "{head}"\n')
    fast = history.read(config)
    assert fast is not None and fast[0].revision == "9001" and fast[0].is_head
    assert fast == migrations.alembic_history(config)


@pytest.mark.parametrize(
    ("case", "body"),
    [
        ("an id computed at run time", 'revision = "90" + "01"\ndown_revision = "{head}"\n'),
        ("branch labels", 'revision = "9001"\ndown_revision = "{head}"\nbranch_labels = ("x",)\n'),
        ("a dependency", 'revision = "9001"\ndown_revision = "{head}"\ndepends_on = "0001"\n'),
    ],
)
def test_what_the_reader_cannot_be_sure_of_goes_to_alembic(
    tmp_path: Path, case: str, body: str
) -> None:
    config, versions = _copy_of_history(tmp_path)
    head = migrations.alembic_history()[0].revision
    _add(versions, "9001_odd.py", f'"""{case}"""\n' + body.format(head=head))
    assert history.read(config) is None, case
    assert history.history(config_path=config) == migrations.alembic_history(config)
    assert history.heads(config_path=config)[0].revision == "9001"


def test_a_branched_history_goes_to_alembic_and_shows_both_heads(tmp_path: Path) -> None:
    config, versions = _copy_of_history(tmp_path)
    head = migrations.alembic_history()[0].revision
    for rev in ("9001", "9002"):
        _add(
            versions, f"{rev}_branch.py", f'"""b"""\nrevision = "{rev}"\ndown_revision = "{head}"\n'
        )
    assert history.read(config) is None
    assert sorted(i.revision for i in history.heads(config_path=config)) == ["9001", "9002"]


def test_a_missing_config_is_a_configuration_error(tmp_path: Path) -> None:
    from zora_db.errors import ConfigError

    with pytest.raises(ConfigError, match="not found"):
        history.read(tmp_path / "nowhere.ini")


LOADED = "import sys; from zora_db.cli import main; code = main({args!r}); " + (
    "print(sorted({{m.split('.')[0] for m in sys.modules}} & {{'alembic', 'sqlalchemy', "
    "'psycopg'}}))"
)


@pytest.mark.parametrize(
    ("args", "allowed"),
    [
        (["--version"], []),
        (["--help"], []),
        (["heads"], []),
        (["history"], []),
        (["current", "-d", "postgresql://nobody@127.0.0.1:1/none"], ["psycopg"]),
    ],
)
def test_short_commands_do_not_import_what_they_do_not_use(
    args: list[str], allowed: list[str]
) -> None:
    """Start-up is import time: --help loads no driver, heads no Alembic (bench_startup)."""
    done = subprocess.run(
        [sys.executable, "-c", LOADED.format(args=args)],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert done.stdout.strip().splitlines()[-1] == repr(allowed), done.stderr


def test_one_offline_run_gives_each_step_as_its_own_run_does() -> None:
    # export and safety read every step from one run (linear in history), not one run each.
    steps = migrations.steps_sql()
    infos = migrations.history()
    assert list(steps) == [info.revision for info in reversed(infos)]
    for info in infos:
        assert steps[info.revision] == migrations.step_sql(info), info.revision
