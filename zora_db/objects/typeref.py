"""A reference to a type by its catalog name, as columns and function arguments carry it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TypeRef:
    """A type by its catalog name: ``pg_catalog.int4``, ``public.order_status``.

    ``element`` is the element type of an array (``pg_catalog._text`` has
    ``pg_catalog.text``); ``relation`` is set for a table's row type.
    """

    schema: str
    name: str
    element: TypeRef | None = None
    relation: bool = False

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TypeRef:
        element = data.get("element")
        return cls(
            data["schema"],
            data["name"],
            cls.from_json(element) if element else None,
            bool(data.get("relation")),
        )
