"""The benchmarks' own databases, beside the one DATABASE_URL names."""

from django.db import connection


def use_database(name: str) -> None:
    """Point the default connection at another database (an SQLite file, or a
    PostgreSQL database created if it is missing)."""
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = name
        return
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    connection.settings_dict["NAME"] = name
