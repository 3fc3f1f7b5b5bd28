"""The settings module as `manage.py` sees it: production settings pass Django's
deployment checks, and no configuration at all means SQLite under var/."""

import ast
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def clean_environment() -> dict[str, str]:
    """The caller's environment minus every setting Duster reads (DATABASE_URL stays)."""
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "DATABASE_URL", "VIRTUAL_ENV"}
    return {name: value for name, value in os.environ.items() if name in keep}


def _database_settings(**changes: str | None) -> dict:
    """The default database's settings as manage.py sees them with these
    environment variables set (None: unset)."""
    env = clean_environment()
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(repr(settings.DATABASES['default']))",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return ast.literal_eval(result.stdout.strip().splitlines()[-1])


def test_production_settings_pass_the_deployment_checks():
    env = {
        **clean_environment(),
        "DEBUG": "0",
        "HTTPS": "1",
        "SECRET_KEY": secrets.token_urlsafe(45)[:60],
        "EMAIL_URL": "smtp://localhost:25",
        "ALLOWED_HOSTS": "archive.example",
    }
    assert len(env["SECRET_KEY"]) == 60
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_without_database_url_the_database_is_sqlite_under_var():
    database = _database_settings(DATABASE_URL=None)
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(database["NAME"]) == BASE_DIR / "var" / "duster.sqlite3"
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]


def test_postgresql_connections_plan_for_reads_from_memory_or_ssd():
    url = "postgres://duster@db.example/duster?sslmode=require"
    database = _database_settings(DATABASE_URL=url)
    assert database["OPTIONS"]["options"] == "-c jit=off -c random_page_cost=1.1"
    assert database["OPTIONS"]["sslmode"] == "require"  # the URL's own options stay
    assert _database_settings(DATABASE_URL=url, PG_RANDOM_PAGE_COST="2")["OPTIONS"] == {
        "sslmode": "require",
        "options": "-c jit=off -c random_page_cost=2",
    }
    left_alone = _database_settings(DATABASE_URL=url, PG_RANDOM_PAGE_COST="")
    assert left_alone["OPTIONS"]["options"] == "-c jit=off"


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner setting")
def test_the_planner_setting_reaches_the_server():
    wanted = os.environ.get("PG_RANDOM_PAGE_COST", "1.1")
    if not wanted:
        pytest.skip("PG_RANDOM_PAGE_COST is empty: the server's own setting")
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone() == (wanted,)
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
