"""Line breaking as Prettier does it, for the TypeScript we generate.

Supabase's generator formats its output with a Prettier-compatible formatter
(80 columns, no semicolons), so whether ``{ Args: ...; Returns: ... }`` stays
on one line depends on its width. To be a drop-in we print the same way:
the output is a tree of documents (text, groups, indentation, line breaks)
and a group is printed on one line when it fits, else broken: Wadler's
algorithm as Prettier implements it, limited to what our types need.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeAlias

WIDTH = 80


@dataclass
class Group:
    contents: Doc
    broken: bool = False  # a hard break inside, or an object written expanded


@dataclass(frozen=True)
class Indent:
    contents: Doc
    by: int = 2


@dataclass(frozen=True)
class Line:
    """A space (or nothing, if ``soft``) when its group is flat, else a newline."""

    soft: bool = False
    hard: bool = False


@dataclass(frozen=True)
class IfBroken:
    broken: Doc
    flat: Doc = ""


Doc: TypeAlias = str | list["Doc"] | Group | Indent | Line | IfBroken

LINE = Line()
SOFTLINE = Line(soft=True)
HARDLINE = Line(hard=True)


def group(*contents: Doc, broken: bool = False) -> Group:
    return Group(list(contents), broken)


def indent(*contents: Doc) -> Indent:
    return Indent(list(contents))


def align(by: int, *contents: Doc) -> Indent:
    return Indent(list(contents), by)


def join(separator: Doc, docs: list[Doc]) -> list[Doc]:
    out: list[Doc] = []
    for i, doc in enumerate(docs):
        out += [separator, doc] if i else [doc]
    return out


def flat(doc: Doc) -> str | None:
    """``doc`` on one line, as a group that fits prints it; None if it must break."""
    if isinstance(doc, str):
        return doc
    if isinstance(doc, list):
        parts = [flat(d) for d in doc]
        return None if None in parts else "".join(parts)  # type: ignore[arg-type]
    if isinstance(doc, Indent):
        return flat(doc.contents)
    if isinstance(doc, IfBroken):
        return flat(doc.flat)
    if isinstance(doc, Line):
        return None if doc.hard else "" if doc.soft else " "
    return None if doc.broken else flat(doc.contents)


def render(doc: Doc, width: int = WIDTH) -> str:
    """``doc`` as text: groups flat where they fit, trailing spaces trimmed."""
    _propagate_breaks(doc)
    return _Printer(width).print(doc)


def _propagate_breaks(doc: Doc) -> bool:
    """Break every group that holds a hard line or a broken group; True if ``doc`` does."""
    if isinstance(doc, str):
        return False
    if isinstance(doc, Line):
        return doc.hard
    if isinstance(doc, list):
        return any([_propagate_breaks(d) for d in doc])  # visit all: no short-circuit
    if isinstance(doc, Indent):
        return _propagate_breaks(doc.contents)
    if isinstance(doc, IfBroken):
        return _propagate_breaks(doc.broken) or _propagate_breaks(doc.flat)
    if _propagate_breaks(doc.contents):
        doc.broken = True
    return doc.broken


@dataclass
class _Printer:
    width: int
    out: list[str] = field(default_factory=list)
    column: int = 0

    def print(self, doc: Doc) -> str:
        # (indentation, broken?, doc), popped from the end: the next to print is last.
        stack: list[tuple[int, bool, Doc]] = [(0, True, doc)]
        while stack:
            ind, broken, d = stack.pop()
            if isinstance(d, str):
                self.out.append(d)
                self.column += len(d)
            elif isinstance(d, list):
                stack += [(ind, broken, item) for item in reversed(d)]
            elif isinstance(d, Indent):
                stack.append((ind + d.by, broken, d.contents))
            elif isinstance(d, IfBroken):
                stack.append((ind, broken, d.broken if broken else d.flat))
            elif isinstance(d, Group):
                flat = not d.broken and (
                    not broken or self._fits(d.contents, stack, self.width - self.column)
                )
                stack.append((ind, not flat, d.contents))
            elif broken or d.hard:
                while self.out and self.out[-1].endswith(" "):  # no trailing spaces
                    self.out[-1] = self.out[-1].rstrip(" ")
                self.out.append("\n" + " " * ind)
                self.column = ind
            elif not d.soft:
                self.out.append(" ")
                self.column += 1
        return "".join(self.out)

    @staticmethod
    def _fits(doc: Doc, rest: list[tuple[int, bool, Doc]], room: int) -> bool:
        """Whether ``doc`` flat, and what follows it up to the next line break, fit."""
        todo: list[tuple[bool, Doc]] = [(False, doc)]
        rest_index = len(rest)
        while room >= 0:
            if not todo:
                if rest_index == 0:
                    return True
                rest_index -= 1
                todo.append((rest[rest_index][1], rest[rest_index][2]))
                continue
            broken, d = todo.pop()
            if isinstance(d, str):
                room -= len(d)
            elif isinstance(d, list):
                todo += [(broken, item) for item in reversed(d)]
            elif isinstance(d, Indent):
                todo.append((broken, d.contents))
            elif isinstance(d, IfBroken):
                todo.append((broken, d.broken if broken else d.flat))
            elif isinstance(d, Group):
                todo.append((broken or d.broken, d.contents))
            elif broken or d.hard:
                return True
            elif not d.soft:
                room -= 1
        return False
