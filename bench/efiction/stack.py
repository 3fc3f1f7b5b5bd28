"""eFiction 3.5.8 served for the benchmark: Debian's PHP 8.2 (php-fpm, 2
workers, opcache on) behind nginx, on MariaDB. Everything it writes lives
under var/bench/efiction/ (the code, configuration, logs, PHP sessions) and in
one MariaDB database; nginx listens on 127.0.0.1 only."""

import math
import os
import shutil
import signal
import subprocess
import tarfile
from pathlib import Path

PACKAGES = ["php8.2-fpm", "php8.2-mysql", "php8.2-mbstring", "php8.2-opcache", "nginx"]
PHP_FPM = "/usr/sbin/php-fpm8.2"
NGINX = "/usr/sbin/nginx"
PHP_WORKERS = 2
STATIC_COPY = "bench-static/viewstory.html"  # a story page's HTML, as a file nginx serves


def install_packages() -> None:
    """PHP and nginx from Debian, when missing (needs root); opcache must be on
    (Debian's php.ini for php-fpm turns it on)."""
    if not (Path(PHP_FPM).exists() and Path(NGINX).exists()):
        _apt_get()
    info = subprocess.run([PHP_FPM, "-i"], capture_output=True, text=True, check=False).stdout
    if "opcache.enable => On" not in info:
        raise SystemExit(f"opcache is off in {PHP_FPM} -i: turn it on in its php.ini.")


def _apt_get() -> None:
    if os.geteuid() != 0:
        raise SystemExit(f"Install as root first: apt-get install {' '.join(PACKAGES)}")
    print(f"apt-get install {' '.join(PACKAGES)}", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    command = ["apt-get", "install", "-y", "--no-install-recommends", *PACKAGES]
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)


class MariaDB:
    """The mysql client against one database."""

    def __init__(self, host: str, port: int, user: str, password: str, name: str):
        self.host, self.port, self.user, self.password, self.name = host, port, user, password, name

    def run(self, sql: str = "", *, database: bool = True, stdin: Path | None = None) -> str:
        command = ["mysql", "-h", self.host, "-P", str(self.port), "-u", self.user, "-N", "-B"]
        command += ["--default-character-set=utf8mb4"]
        if database:
            command.append(self.name)
        env = {**os.environ, "MYSQL_PWD": self.password}
        with open(stdin) if stdin else open(os.devnull) as source:
            result = subprocess.run(
                command if stdin else [*command, "-e", sql],
                stdin=source,
                capture_output=True,
                text=True,
                env=env,
                check=False,
            )
        if result.returncode != 0:
            raise SystemExit(f"MariaDB ({self.host}:{self.port}) refused: {result.stderr.strip()}")
        return result.stdout

    def load(self, dump: Path, url: str) -> None:
        self.run(
            f"DROP DATABASE IF EXISTS `{self.name}`; CREATE DATABASE `{self.name}` "
            "CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci",
            database=False,
        )
        self.run(stdin=dump)
        self.run(f"UPDATE fanfiction_settings SET url = '{url}'")

    def pad(self, stories: int, columns: dict[str, list[str]]) -> int:
        """Copy every story with its chapters (same text, new ids, older
        dates) until the archive holds about `stories`; the count it holds."""
        have, last_sid = map(
            int, self.run("SELECT COUNT(*), MAX(sid) FROM fanfiction_stories").split()
        )
        last_chapter = int(self.run("SELECT MAX(chapid) FROM fanfiction_chapters"))
        copies = max(0, math.ceil((stories - have) / have))
        if copies:
            story = {
                "sid": f"s.sid + {last_sid} * n.seq",
                "date": "s.date - 600 * n.seq",
                "updated": "s.updated - 600 * n.seq",
            }
            chapter = {
                "chapid": f"c.chapid + {last_chapter} * n.seq",
                "sid": f"c.sid + {last_sid} * n.seq",
            }
            self.run(
                _copy("fanfiction_stories", "s", columns, story, copies, f"s.sid <= {last_sid}")
            )
            self.run(
                _copy("fanfiction_chapters", "c", columns, chapter, copies, f"c.sid <= {last_sid}")
            )
            self.run(
                "UPDATE fanfiction_stats SET stories = (SELECT COUNT(*) FROM fanfiction_stories), "
                "chapters = (SELECT COUNT(*) FROM fanfiction_chapters)"
            )
        return int(self.run("SELECT COUNT(*) FROM fanfiction_stories"))


def _copy(table: str, alias: str, columns, changed: dict[str, str], copies: int, where: str) -> str:
    names = columns[table]
    values = ", ".join(changed.get(name, f"{alias}.`{name}`") for name in names)
    listed = ", ".join(f"`{name}`" for name in names)
    # seq_1_to_N: MariaDB's Sequence engine, a table of the numbers 1..N.
    return (
        f"INSERT INTO {table} ({listed}) SELECT {values} FROM {table} {alias} "
        f"JOIN seq_1_to_{copies} n WHERE {where}"
    )


class EFiction:
    """The unpacked code, its configuration and the two servers."""

    def __init__(self, home: Path, db: MariaDB, port: int):
        self.home = home
        self.code = home / "efiction"
        self.run_dir = home / "run"
        self.db = db
        self.port = port
        self.processes: list[subprocess.Popen] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def unpack(self, tarball: Path) -> None:
        """The tarball's efiction/ folder, with config.php for our database and
        without install/ (as its installer asks)."""
        shutil.rmtree(self.home, ignore_errors=True)
        self.home.mkdir(parents=True)
        with tarfile.open(tarball) as archive:
            archive.extractall(self.home, filter="data")
        if not (self.code / "viewstory.php").exists():
            raise SystemExit(f"{tarball} has no efiction/viewstory.php: not eFiction's source?")
        shutil.rmtree(self.code / "install", ignore_errors=True)
        sitekey = self.db.run("SELECT sitekey FROM fanfiction_settings").strip()
        (self.code / "config.php").write_text(
            "<?php\n"
            f'$dbhost = "{self.db.host}";\n'
            f'$dbname = "{self.db.name}";\n'
            f'$dbuser = "{self.db.user}";\n'
            f'$dbpass = "{self.db.password}";\n'
            f'$sitekey = "{sitekey}";\n'
            '$settingsprefix = "";\n'
            "?>"
        )

    def start(self) -> None:
        for folder in ("sessions", "nginx", "bench-static"):
            (self.run_dir / folder).mkdir(parents=True, exist_ok=True)
        as_root = os.geteuid() == 0
        fpm_conf = self.run_dir / "php-fpm.conf"
        fpm_conf.write_text(self._php_fpm_conf())
        nginx_conf = self.run_dir / "nginx.conf"
        nginx_conf.write_text(self._nginx_conf(as_root))
        fpm = [PHP_FPM, "--nodaemonize", "--fpm-config", str(fpm_conf)]
        self._spawn([*fpm, "--allow-to-run-as-root"] if as_root else fpm, "php-fpm.out")
        prefix = str(self.run_dir / "nginx") + "/"
        error_log = str(self.run_dir / "nginx-error.log")
        self._spawn([NGINX, "-p", prefix, "-c", str(nginx_conf), "-e", error_log], "nginx.out")

    def _spawn(self, command: list[str], log: str) -> None:
        with open(self.run_dir / log, "w") as out:
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        self.processes.append(process)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()

    def pids(self) -> list[int]:
        """php-fpm and nginx (with their workers, counted as children) and the
        MariaDB server."""
        return [p.pid for p in self.processes] + mariadb_pids()

    def static_copy(self, html: bytes) -> str:
        path = self.run_dir / STATIC_COPY
        path.write_bytes(html)
        return f"/{STATIC_COPY}"

    def _php_fpm_conf(self) -> str:
        run = self.run_dir
        return f"""[global]
pid = {run}/php-fpm.pid
error_log = {run}/php-fpm.log
daemonize = no

[efiction]
listen = {run}/php-fpm.sock
pm = static
pm.max_children = {PHP_WORKERS}
php_admin_flag[display_errors] = off
php_admin_flag[log_errors] = on
php_admin_value[error_log] = {run}/php-errors.log
php_admin_value[session.save_path] = {run}/sessions
php_admin_value[mysqli.default_port] = {self.db.port}
"""

    def _nginx_conf(self, as_root: bool) -> str:
        run = self.run_dir
        return f"""{"user root root;" if as_root else ""}
worker_processes auto;
pid {run}/nginx.pid;
daemon off;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    error_log {run}/nginx-error.log;
    client_body_temp_path {run}/nginx/body;
    fastcgi_temp_path {run}/nginx/fastcgi;
    proxy_temp_path {run}/nginx/proxy;
    uwsgi_temp_path {run}/nginx/uwsgi;
    scgi_temp_path {run}/nginx/scgi;
    server {{
        listen 127.0.0.1:{self.port};
        root {self.code};
        index index.php;
        location /bench-static/ {{ root {run}; }}
        location ~ \\.php$ {{
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
            fastcgi_pass unix:{run}/php-fpm.sock;
        }}
    }}
}}
"""


def mariadb_pids() -> list[int]:
    """The local MariaDB server's process (its CPU is part of eFiction's cost)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() in (
                "mariadbd",
                "mysqld",
            ):
                found.append(int(entry.name))
        except OSError:
            continue
    return found
