"""`upgrade` base → head against the same SQL applied with `psql -1 -f`.

Each run gets a fresh database cloned from a bootstrapped template. Three
figures: the API in-process, the `zora-db upgrade` command (Python start-up
included, as CI sees it), and psql with the offline SQL as the floor.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import emit, summary, timed

from zora_db import migrations
from zora_db.compat import bootstrap
from zora_db.throwaway import LocalCluster

RUNS = 5


def main() -> None:
    psql = shutil.which("psql") or "/usr/bin/psql"
    sql_file = Path(tempfile.mkdtemp()) / "upgrade.sql"
    with open(sql_file, "w") as out:
        migrations.upgrade(None, "head", sql=True, output=out)
    zora_db = str(Path(sys.executable).parent / "zora-db")
    with LocalCluster() as cluster:
        bootstrap(cluster.create_database("tpl"))

        def fresh() -> str:
            return cluster.create_database(template="tpl")

        api, cli, floor = [], [], []
        for _ in range(RUNS):
            url = fresh()
            api.append(timed(lambda u=url: migrations.upgrade(u)))
            url = fresh()
            cli.append(
                timed(
                    lambda u=url: subprocess.run(
                        [zora_db, "upgrade", "-d", u], check=True, capture_output=True
                    )
                )
            )
            url = fresh()
            floor.append(
                timed(
                    lambda u=url: subprocess.run(
                        [
                            psql,
                            "-X",
                            "-q",
                            "-v",
                            "ON_ERROR_STOP=1",
                            "-1",
                            "-f",
                            str(sql_file),
                            u,
                        ],
                        check=True,
                        capture_output=True,
                    )
                )
            )
    psql_median = summary(floor)["median_s"]
    emit(
        "upgrade",
        {
            "migrations": len(migrations.history()),
            "api_in_process": summary(api),
            "cli_process": summary(cli),
            "psql_1_f": summary(floor),
            "ratio_api_over_psql": round(summary(api)["median_s"] / psql_median, 2),
            "ratio_cli_over_psql": round(summary(cli)["median_s"] / psql_median, 2),
        },
    )


if __name__ == "__main__":
    main()
