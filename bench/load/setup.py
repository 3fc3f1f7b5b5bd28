"""The environment the load benchmarks give Django and the server they start:
everything under var/bench/load/ (its own cache, apart from `make bench`'s),
DEBUG off, SQLite unless DATABASE_URL is set.
Call `django_setup()` before importing anything that touches models."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = ROOT / "var" / "bench"
LOAD_DIR = BENCH_DIR / "load"


def django_setup(
    works: int = 0, *, directory: Path = LOAD_DIR, database: str = ""
) -> dict[str, str]:
    """Set Django up for a corpus of `works` works; the environment a server
    process needs to see the same database, cache and static files. Another
    benchmark passes its own `directory` and SQLite file name (`database`)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    directory.mkdir(parents=True, exist_ok=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "duster.settings"
    os.environ["DUSTER_VAR_DIR"] = str(directory)  # own cache, static files, secret key
    os.environ["DEBUG"] = "0"
    if "DATABASE_URL" not in os.environ:
        sqlite_file = directory / (database or f"works-{works}.sqlite3")
        os.environ["DATABASE_URL"] = f"sqlite:///{sqlite_file}"
    import django

    django.setup()
    return dict(os.environ)
