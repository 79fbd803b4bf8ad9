"""The README and docs/ point at what exists: every link, every anchor, every documented command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.cli import run_cli
from tests.conftest import PROJECT_ROOT

PAGES = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)
COMMAND_WORD = re.compile(r"[a-z][a-z-]*(?:\|[a-z][a-z-]*)*")
README_LINES = 200


def slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces → -."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text())
    return {slug(h) for h in re.findall(r"^#{1,6} (.+)$", text, re.MULTILINE)}


def links(page: Path) -> list[str]:
    return LINK.findall(FENCE.sub("", page.read_text()))


def broken(page: Path) -> list[str]:
    """The page's links to this repository that lead nowhere (file or heading)."""
    found = []
    for target in links(page):
        if re.match(r"[a-z]+:", target):
            continue  # another site: not ours to check
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists() or (anchor and file.suffix == ".md" and anchor not in anchors(file)):
            found.append(target)
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_link_leads_somewhere(page: Path) -> None:
    assert broken(page) == []


def test_a_planted_broken_link_and_anchor_are_caught(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other page\n\n## A `code` heading: here\n")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](other.md#a-code-heading-here) [gone](missing.md) [bad](other.md#nowhere) "
        "[self](#title) [away](https://example.org/x)\n\n# Title\n"
    )
    assert broken(page) == ["missing.md", "other.md#nowhere"]


def test_the_readme_is_read_in_minutes() -> None:
    assert len((PROJECT_ROOT / "README.md").read_text().splitlines()) < README_LINES


def documented_commands(
    text: str, *, alternatives: bool = True
) -> list[tuple[list[str], list[str]]]:
    """(command words, its options) for each ``zora-db …`` line of a page's code blocks.

    In the README's summary ``zora-db current | history | heads`` is three
    commands, ``push run [--once] | status`` two under ``push``; elsewhere
    `` | `` is a shell pipe (``alternatives=False``). ``dev up|start`` is one
    command per word.
    """
    found = []
    for block in FENCE.findall(text):
        for line in block.splitlines():
            line = line.split("  #")[0].strip()
            if not line.startswith("zora-db "):
                continue
            prefix: list[str] = []
            segments = line.removeprefix("zora-db ").split(" | ")
            for n, segment in enumerate(segments if alternatives else segments[:1]):
                words = []
                for token in segment.split():
                    if not COMMAND_WORD.fullmatch(token):
                        break
                    words.append(token)
                if n == 0:
                    prefix = words[:-1]
                options = re.findall(r"--[a-z][a-z-]*", segment)
                for last in words[-1].split("|") if words else [""]:
                    path = [*(prefix if n else []), *words[:-1], last] if words else []
                    found.append(([w for w in path if w], options))
    return found


def test_the_parser_reads_each_spelling() -> None:
    text = (
        "```\nzora-db current | history | heads\n"
        "zora-db push run [--once] | status [--json]  # push\n"
        "zora-db dev up|stop\nzora-db upgrade [REV] --sql\nzora-db --help\n```\n"
    )
    assert documented_commands(text) == [
        (["current"], []),
        (["history"], []),
        (["heads"], []),
        (["push", "run"], ["--once"]),
        (["push", "status"], ["--json"]),
        (["dev", "up"], []),
        (["dev", "stop"], []),
        (["upgrade"], ["--sql"]),
        ([], ["--help"]),
    ]


COMMANDS = documented_commands((PROJECT_ROOT / "README.md").read_text()) + [
    command
    for page in PAGES[1:]
    for command in documented_commands(page.read_text(), alternatives=False)
]


@pytest.mark.parametrize(
    ("words", "options"), COMMANDS, ids=[" ".join(w) or "zora-db" for w, _ in COMMANDS]
)
def test_every_documented_command_and_option_exists(
    capsys: pytest.CaptureFixture[str], words: list[str], options: list[str]
) -> None:
    shown = run_cli(capsys, *words, "--help")
    assert shown.code == 0, shown.err
    assert [o for o in options if o not in shown.out] == []


def test_a_planted_command_that_does_not_exist_is_caught(
    capsys: pytest.CaptureFixture[str],
) -> None:
    ((words, _),) = documented_commands("```\nzora-db frobnicate --now\n```\n")
    assert run_cli(capsys, *words, "--help").code != 0


def test_the_make_targets_the_docs_name_exist() -> None:
    targets = set(re.findall(r"^([a-z-]+):", (PROJECT_ROOT / "Makefile").read_text(), re.M))
    named = {t for page in PAGES for t in re.findall(r"`make ([a-z-]+)`", page.read_text())}
    assert named and named - targets == set()
