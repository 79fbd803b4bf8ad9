"""The stress run: sixteen sessions of the apps' traffic for 60 s, then the invariants.

Prints throughput, p50/p99 per action, errors by SQLSTATE and each
invariant's verdict (see tests/stress.py); exits 1 when an invariant breaks
or a deadlock, serialization failure or lock timeout happened.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import emit, seeded_database

from tests import stress

SECONDS = float(os.environ.get("ZORA_STRESS_SECONDS", "60"))


def main() -> int:
    with seeded_database() as url:
        report = stress.run(url, SECONDS)
    emit("stress", report.as_json())
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
