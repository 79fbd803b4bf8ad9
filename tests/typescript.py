"""Compiling TypeScript under --strict with the pinned typescript, for the type checks."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests import node


def tsc(work: Path, source: str) -> subprocess.CompletedProcess[str]:
    """Compile ``source`` as ``work/check.ts``; ``work`` is inside the node project."""
    (work / "check.ts").write_text(source)
    options = {
        "strict": True,
        "noEmit": True,
        "target": "es2022",
        "module": "nodenext",
        "moduleResolution": "nodenext",
        "skipLibCheck": True,  # supabase-js's own declarations need it under TypeScript 7
    }
    (work / "tsconfig.json").write_text(
        json.dumps({"compilerOptions": options, "files": ["check.ts"]})
    )
    return subprocess.run(
        [str(node.TSC), "-p", "tsconfig.json"],
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
    )
