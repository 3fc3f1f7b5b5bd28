"""`import_efiction --mysql DSN` against a real MariaDB server, started for this module in a
temporary directory (skipped where MariaDB is not installed, unless
DUSTER_REQUIRE_TEST_TOOLS=1 says a missing tool is a failure)."""

import os
import shutil
import socket
import subprocess
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from duster.imports.models import LegacyId
from duster.works.models import Series, Work

FIXTURE = Path(__file__).parent / "fixtures" / "efiction-archive-a.sql"
PROGRAMS = ("mariadbd", "mariadb-install-db", "mariadb", "mariadb-dump")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def mariadb(tmp_path_factory):
    missing = [name for name in PROGRAMS if shutil.which(name) is None]
    if missing:
        if os.environ.get("DUSTER_REQUIRE_TEST_TOOLS") == "1":
            pytest.fail(f"MariaDB is not installed ({', '.join(missing)} missing)")
        pytest.skip(f"MariaDB is not installed ({', '.join(missing)} missing)")
    root = tmp_path_factory.mktemp("mariadb")
    subprocess.run(
        [
            "mariadb-install-db",
            "--no-defaults",
            f"--datadir={root / 'data'}",
            "--user=root",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        ],
        check=True,
        capture_output=True,
    )
    port = _free_port()
    server = subprocess.Popen(
        [
            "mariadbd",
            "--no-defaults",
            f"--datadir={root / 'data'}",
            f"--socket={root / 'sock'}",
            f"--port={port}",
            "--bind-address=127.0.0.1",
            "--user=root",
            "--skip-grant-tables",
            f"--log-error={root / 'error.log'}",
            f"--pid-file={root / 'pid'}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = ["mariadb", "--no-defaults", "-h127.0.0.1", f"-P{port}", "-uroot"]
    try:
        for _ in range(100):
            ready = subprocess.run([*client, "-e", "SELECT 1"], capture_output=True)
            if ready.returncode == 0:
                break
            time.sleep(0.1)
        else:
            pytest.fail("MariaDB did not start: " + (root / "error.log").read_text()[-2000:])
        subprocess.run([*client, "-e", "CREATE DATABASE archive CHARACTER SET utf8mb4"], check=True)
        with FIXTURE.open("rb") as dump:
            subprocess.run(
                [*client, "--default-character-set=utf8mb4", "archive"], stdin=dump, check=True
            )
        yield f"mysql://root@127.0.0.1:{port}/archive"
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.django_db(transaction=True)
def test_a_live_database_imports_like_its_dump(mariadb):
    out = StringIO()
    call_command("import_efiction", mysql=mariadb, stdout=out, stderr=StringIO())
    assert "story: 10 imported" in out.getvalue()
    assert Work.objects.count() == 10
    assert LegacyId.objects.filter(kind="review").count() == 18
    casebook = Series.objects.get(title="Odile's Casebook")
    assert [e.work.title for e in casebook.entries.order_by("position")] == [
        "Salt in the Gears",
        "Nine Bells for Pim",
        "A Small Hour",
    ]
    # Text came through the server's utf8mb4 intact.
    assert (
        "地图不是领土"
        in Work.objects.get(title="The Cartographer's Daughter").chapters.get(position=1).body
    )
    again = StringIO()
    call_command("import_efiction", mysql=mariadb, stdout=again, stderr=StringIO())
    assert "story: 10 unchanged" in again.getvalue()
    assert Work.objects.count() == 10


@pytest.mark.django_db
def test_an_unreachable_database_is_one_clear_error(mariadb):
    port = _free_port()
    with pytest.raises(CommandError, match="failed"):
        call_command("import_efiction", mysql=f"mysql://root@127.0.0.1:{port}/nothing")


@pytest.mark.django_db
def test_a_dsn_without_a_database_is_refused():
    with pytest.raises(CommandError, match="mysql://user:password@host:port/database"):
        call_command("import_efiction", mysql="mysql://root@127.0.0.1:3306/")
