"""Every benchmark script imports: what `make bench` runs is not checked by running it."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import PROJECT_ROOT

BENCHMARKS = PROJECT_ROOT / "benchmarks"
# Imported in a process of their own: a script's imports and sys.path stay out of the suite's.
IMPORT_ALL = """
import importlib.util, pathlib, sys
for script in sorted(pathlib.Path(sys.argv[1]).glob("bench_*.py")):
    spec = importlib.util.spec_from_file_location(script.stem, script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # main() runs only as __main__
    assert callable(module.main), f"{script.name} has no main()"
    print(script.stem)
"""


def test_every_script_imports() -> None:
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL, str(BENCHMARKS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == sorted(p.stem for p in BENCHMARKS.glob("bench_*.py"))
