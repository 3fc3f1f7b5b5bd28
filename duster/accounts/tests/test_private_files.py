"""What Duster writes under var/ (the database with session keys, mail with
reset links, the secret key, the cache) is readable by its owner only."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.mail import send_mail

from duster.accounts.apps import make_var_private


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture
def loose_umask():
    """A umask that would leave files readable to all (as before this change)."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_mail_files_are_the_owners_only_whatever_the_umask(settings, tmp_path, loose_umask):
    folder = tmp_path / "mail"
    settings.MAILERS = {
        "default": {
            "BACKEND": "duster.lib.mail.ReadableFileBackend",
            "OPTIONS": {"file_path": str(folder)},
        }
    }
    send_mail("Reset your password", "http://x/account/password/reset/a/b/", None, ["a@x.org"])
    (written,) = folder.iterdir()
    assert mode(written) == 0o600
    assert mode(folder) == 0o700
    assert "http://x/account/password/reset/a/b/" in written.read_text()


def test_a_mail_folder_left_readable_is_made_private(settings, tmp_path, loose_umask):
    folder = tmp_path / "mail"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    settings.MAILERS = {
        "default": {
            "BACKEND": "duster.lib.mail.ReadableFileBackend",
            "OPTIONS": {"file_path": str(folder)},
        }
    }
    send_mail("Subject", "Body", None, ["a@x.org"])
    assert mode(folder) == 0o700


def test_var_entries_left_readable_are_made_private_but_static_and_media_stay(
    settings, tmp_path, loose_umask
):
    settings.VAR_DIR = tmp_path
    settings.STATIC_ROOT = tmp_path / "static"
    settings.MEDIA_ROOT = tmp_path / "media"
    for name in ("duster.sqlite3", "duster.sqlite3-wal", "secret_key", "cache.sqlite3"):
        (tmp_path / name).write_text("x")
        (tmp_path / name).chmod(0o644)
    for name in ("mail", "cache", "static", "media"):
        (tmp_path / name).mkdir()
        (tmp_path / name).chmod(0o755)
    make_var_private()
    for name in ("duster.sqlite3", "duster.sqlite3-wal", "secret_key", "cache.sqlite3"):
        assert mode(tmp_path / name) == 0o600, name
    for name in ("mail", "cache"):
        assert mode(tmp_path / name) == 0o700, name
    for name in ("static", "media"):
        assert mode(tmp_path / name) == 0o755, name


SCRIPT = """
import json, stat
from pathlib import Path
from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE t (session_key text)")
    cursor.execute("INSERT INTO t VALUES ('secret')")
send_mail("Reset your password", "a link", None, ["a@example.com"])
cache.set("key", "value")
var = Path(settings.VAR_DIR)
# While the database is open, so that its WAL files are there too.
print(json.dumps({
    str(path.relative_to(var)): stat.S_IMODE(path.lstat().st_mode)
    for path in var.rglob("*") if not path.is_relative_to(settings.STATIC_ROOT)
}))
"""


def test_a_fresh_var_folder_holds_only_private_files(tmp_path):
    """A process as `make run` starts it, with its own var/ and no settings:
    it creates the secret key, the database (with its WAL files), a mail
    file and cache entries. None is readable by anyone but the owner."""
    var = tmp_path / "var"
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV"}
    env = {name: value for name, value in os.environ.items() if name in keep}
    env["DUSTER_VAR_DIR"] = str(var)
    result = subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", SCRIPT],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    modes = json.loads(result.stdout.strip().splitlines()[-1])
    names = {name.split("/")[0] for name in modes}
    assert {"secret_key", "duster.sqlite3", "duster.sqlite3-wal", "mail"} <= names
    assert any(name.startswith("mail/") for name in modes)
    assert {name: oct(m) for name, m in modes.items() if m & 0o077} == {}
    # And what stays once the process is gone.
    left = [path for path in var.rglob("*") if not path.is_relative_to(var / "static")]
    assert {str(path.relative_to(var)) for path in left if mode(path) & 0o077} == set()
