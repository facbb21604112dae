"""Run benchmark areas: `python -m bench [area ...]` (all areas when none is named).

Django runs with `config.settings.dev`. Unless DATABASE_URL is set, the database is a fresh SQLite
file in a temporary directory (SOCIALDESK_VAR_DIR points there) that is removed afterwards; with
DATABASE_URL set, that database is migrated and used, so point it at a scratch database.
Results go to `var/bench/<area>.json` as a flat {"metric": number} object.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUTPUT_DIR = ROOT / "var" / "bench"


def available_areas() -> list[str]:
    """Modules `bench/<area>.py`, helpers (leading underscore) excluded."""
    import bench

    return sorted(
        m.name for m in pkgutil.iter_modules(bench.__path__) if not m.name.startswith("_")
    )


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database DATABASE_URL names when it does not exist yet (a benchmark
    database such as socialdesk_bench), connecting to the server's `postgres` database."""
    import dj_database_url
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import make_conninfo

    config = dj_database_url.parse(url)
    if "postgresql" not in str(config.get("ENGINE", "")):
        return
    params: dict[str, Any] = {
        "host": config.get("HOST"),
        "port": config.get("PORT"),
        "user": config.get("USER"),
        "password": config.get("PASSWORD"),
    }
    conninfo = make_conninfo(dbname="postgres", **{k: v for k, v in params.items() if v})
    name = str(config["NAME"])
    with psycopg.connect(conninfo, autocommit=True) as server:
        if server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return
        server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        print(f"Created database {name}")


def prepare_django() -> str | None:
    """Configure settings and the database, set Django up and migrate. Returns the temporary
    directory to remove afterwards, if one was made."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
    os.environ.setdefault("DJANGO_DEBUG", "0")  # no query log: measure what a server would do
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    scratch = None
    if os.environ.get("DATABASE_URL"):
        ensure_database(os.environ["DATABASE_URL"])
    else:
        scratch = tempfile.mkdtemp(prefix="socialdesk-bench-")
        os.environ["SOCIALDESK_VAR_DIR"] = scratch
        (Path(scratch) / "static").mkdir()  # STATIC_ROOT; WhiteNoise warns when it is missing
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))

    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    where = f"temporary SQLite in {scratch}" if scratch else connection.settings_dict["NAME"]
    print(f"Database: {connection.vendor} ({where})")
    return scratch


def _number(value: float) -> float | int:
    """Counts stay integers in the JSON; timings stay floats."""
    return value if isinstance(value, int) else float(value)


def print_table(results: dict[str, dict[str, float | int]]) -> None:
    rows = [
        (area, metric, f"{value:g}")
        for area, metrics in results.items()
        for metric, value in metrics.items()
    ]
    header = ("area", "metric", "value")
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(3)]
    print()
    print(f"{header[0]:<{widths[0]}}  {header[1]:<{widths[1]}}  {header[2]:>{widths[2]}}")
    print("  ".join("-" * w for w in widths))
    for area, metric, value in rows:
        print(f"{area:<{widths[0]}}  {metric:<{widths[1]}}  {value:>{widths[2]}}")


def main(argv: list[str]) -> int:
    known = available_areas()
    areas = argv or known
    unknown = [a for a in areas if a not in known]
    if unknown:
        print(f"Unknown benchmark area(s): {', '.join(unknown)}. Known: {', '.join(known)}.")
        return 2
    scratch = prepare_django()
    results: dict[str, dict[str, float | int]] = {}
    try:
        OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
        for area in areas:
            module = importlib.import_module(f"bench.{area}")
            print(f"Running {area} …", flush=True)
            started = time.perf_counter()
            metrics = {name: _number(value) for name, value in module.run().items()}
            print(f"  done in {time.perf_counter() - started:.1f} s")
            results[area] = metrics
            path = OUTPUT_DIR / f"{area}.json"
            path.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    finally:
        if scratch is not None:
            from django.db import connections

            connections.close_all()
            shutil.rmtree(scratch, ignore_errors=True)
    print_table(results)
    for area in results:
        print(f"Wrote {(OUTPUT_DIR / f'{area}.json').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
