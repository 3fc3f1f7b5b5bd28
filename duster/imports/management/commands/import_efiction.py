import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import BinaryIO, cast
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from duster.imports.efiction.dump import Dump, DumpError, read_dump
from duster.imports.efiction.importer import ArchiveImport
from duster.imports.efiction.mapping import (
    MappingError,
    clean_name,
    default_mapping,
    read_mapping,
)
from duster.imports.models import EFICTION
from duster.lib.progress import ProgressBar


class Command(BaseCommand):
    help = (
        "Import an eFiction 3.x archive (a MySQL/MariaDB dump, or a live database with --mysql): "
        "members, stories, chapters, series, reviews and favourites. Running it again updates "
        "and skips instead of duplicating."
    )

    def add_arguments(self, parser):
        parser.add_argument("dump", nargs="?", type=Path, help="the archive's .sql dump")
        parser.add_argument(
            "--mysql",
            metavar="DSN",
            help="read a live database instead: mysql://user:password@host:port/database "
            "(needs the mysqldump or mariadb-dump program)",
        )
        parser.add_argument(
            "--files-dir",
            type=Path,
            help="eFiction's story folder (the 'stories' directory holding <uid>/<chapid>.txt), "
            "for archives that keep chapter text in files",
        )
        parser.add_argument("--dry-run", action="store_true", help="report, write nothing")
        parser.add_argument("--encoding", default="utf-8", help="the dump's character set")
        parser.add_argument(
            "--prefix",
            help="the table prefix before eFiction's names (found from the dump if not given)",
        )
        parser.add_argument(
            "--mapping", type=Path, help="a mapping file (CSV) written by --write-mapping"
        )
        parser.add_argument(
            "--write-mapping",
            type=Path,
            metavar="FILE",
            help="write what ratings, categories, characters and classes become to FILE "
            "(CSV) for review, and import nothing",
        )
        parser.add_argument(
            "--source",
            default=EFICTION,
            help="a name for this archive, if one site imports several (default: efiction)",
        )
        parser.add_argument(
            "--email-authors",
            action="store_true",
            help="email every imported member who has not claimed their account a link to claim it",
        )

    def handle(self, *args, **options):
        dump = self._read(options)
        for line in dump.report().splitlines()[1:]:
            if line.startswith(("warning:", "error:")):
                self.stderr.write(line)
        if options["write_mapping"]:
            with open(options["write_mapping"], "w", encoding="utf-8", newline="") as stream:
                default_mapping(dump).write(stream)
            self.stdout.write(f"Wrote the mapping to {options['write_mapping']}.")
            return
        mapping = None
        if options["mapping"]:
            try:
                with open(options["mapping"], encoding="utf-8-sig", newline="") as stream:
                    mapping = read_mapping(stream, dump)
            except OSError as error:
                raise CommandError(f"Cannot read {options['mapping']}: {error.strerror}") from None
            except MappingError as error:
                raise CommandError(f"{options['mapping']}: {error}") from None
        files_dir = options["files_dir"]
        if files_dir is not None and not files_dir.is_dir():
            raise CommandError(f"--files-dir {files_dir} is not a directory.")
        store = str(dump.settings.get("store") or "").strip().lower()
        if store == "files" and files_dir is None:
            raise CommandError(
                "This archive keeps its chapter text in files (store = files in its settings): "
                "give --files-dir with the path of its stories folder."
            )
        started = time.monotonic()
        bar = ProgressBar("Importing")
        report = ArchiveImport(
            dump,
            source=options["source"],
            files_dir=files_dir,
            mapping=mapping,
            dry_run=options["dry_run"],
            progress=bar,
        ).run()
        bar.finish()
        heading = "Dry run: nothing was written." if options["dry_run"] else "Imported."
        self.stdout.write(f"{heading} ({time.monotonic() - started:.1f} s)")
        for line in report.lines():
            self.stdout.write(line)
        if options["email_authors"] and not options["dry_run"]:
            self._email_authors(options["source"], clean_name(dump.settings.get("sitename")))

    def _read(self, options) -> Dump:
        given = options["dump"]
        if (given is None) == (options["mysql"] is None):
            raise CommandError("Give the dump file, or --mysql DSN (one of them).")
        try:
            if given is not None:
                return read_dump(given, encoding=options["encoding"], prefix=options["prefix"])
            return self._read_mysql(options["mysql"], options)
        except DumpError as error:
            raise CommandError(str(error)) from None

    def _read_mysql(self, dsn: str, options) -> Dump:
        """Stream the live database through mysqldump into the same reader a dump file uses."""
        parts = urlsplit(dsn)
        database = unquote(parts.path.lstrip("/"))
        if parts.scheme not in ("mysql", "mariadb") or not database:
            raise CommandError("--mysql takes mysql://user:password@host:port/database")
        command = [
            self._mysqldump(),
            "--skip-lock-tables",
            "--no-create-db",
            "--default-character-set=utf8mb4",
            f"--host={parts.hostname or '127.0.0.1'}",
            f"--port={parts.port or 3306}",
        ]
        if parts.username:
            command.append(f"--user={unquote(parts.username)}")
        environment = None
        if parts.password:
            environment = {**os.environ, "MYSQL_PWD": unquote(parts.password)}
        command.append(database)
        with subprocess.Popen(  # noqa: S603  (a fixed program and quoted arguments)
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment
        ) as process:
            assert process.stdout is not None
            dump = read_dump(
                cast(BinaryIO, process.stdout), encoding="utf-8", prefix=options["prefix"]
            )
            failure = (
                process.stderr.read().decode("utf-8", "replace").strip() if process.stderr else ""
            )
        if process.returncode:
            raise CommandError(
                f"{command[0]} failed: {failure or 'exit ' + str(process.returncode)}"
            )
        return dump

    @staticmethod
    def _mysqldump() -> str:
        for name in ("mariadb-dump", "mysqldump"):
            path = shutil.which(name)
            if path:
                return path
        raise CommandError("--mysql needs the mysqldump (or mariadb-dump) program on PATH.")

    def _email_authors(self, source: str, archive: str) -> None:
        from duster.imports.claims import claim_mail_send, unclaimed_users

        ids = list(unclaimed_users(source=source).values_list("pk", flat=True))
        sent = claim_mail_send(user_ids=ids, site_url=settings.SITE_URL, archive=archive)
        self.stdout.write(f"Queued {sent} claim emails.")
