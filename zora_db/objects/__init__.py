"""Every kind of schema object zora-db knows, one module each.

A kind's module holds its dataclass, the catalog query that reads it, the
identity drift compares it under (``key``), what drift compares, and the
file sql/ holds for it; its ``KIND`` says which of these it has
(:class:`~zora_db.objects.base.Kind`). The catalog, drift, ``check`` and
``revision --autogenerate`` only loop over ``KINDS``.

``KINDS`` is in creation order: sql/'s files are applied in it, and dropped
the other way round (a view after the functions it calls, a policy after
the functions its expressions call, publication membership last).
"""

from zora_db.objects import (
    constraints,
    extensions,
    functions,
    grants,
    indexes,
    policies,
    publications,
    relations,
    triggers,
    types,
)
from zora_db.objects.base import Kind

KINDS: tuple[Kind, ...] = (
    extensions.KIND,
    types.KIND,
    functions.KIND,
    relations.KIND,
    constraints.KIND,
    indexes.KIND,
    grants.KIND,
    policies.KIND,
    triggers.KIND,
    publications.KIND,
)

# The folders of sql/, in the order their files are applied.
FOLDERS = tuple(kind.folder for kind in KINDS if kind.folder)

__all__ = ["FOLDERS", "KINDS", "Kind"]
