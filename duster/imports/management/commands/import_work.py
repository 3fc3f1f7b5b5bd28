from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from duster.imports.services import IMPORT_FORMATS, WorkImportError, work_import_file


class Command(BaseCommand):
    help = (
        "Post a work from a file (text, Markdown, HTML, .docx, EPUB, an AO3 download or a "
        "story page saved from an eFiction archive) and print its URL path."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="a .txt, .md, .html, .docx or .epub file")
        parser.add_argument("--creator", required=True, help="username to credit")
        parser.add_argument("--format", dest="fmt", default="auto", help=" | ".join(IMPORT_FORMATS))
        parser.add_argument("--title", help="defaults to the file's own title, or its name")
        parser.add_argument(
            "--fandom", action="append", dest="fandoms", help="repeat for several fandoms"
        )
        for option, dest, kind in (
            ("--relationship", "relationships", "relationships"),
            ("--character", "characters", "characters"),
            ("--tag", "freeforms", "additional tags"),
        ):
            parser.add_argument(
                option, action="append", dest=dest, help=f"repeat for several {kind}"
            )
        parser.add_argument("--rating", help="general, teen, mature, explicit or not_rated")
        parser.add_argument("--summary", default="", help="plain text")

    def handle(self, *args, path, creator, fmt, title, fandoms, rating, summary, **options):
        warnings: list[str] = []
        try:
            work = work_import_file(
                path=path,
                creator=creator,
                fmt=fmt,
                title=title,
                fandoms=fandoms,
                relationships=options["relationships"],
                characters=options["characters"],
                freeforms=options["freeforms"],
                rating=rating,
                summary=summary,
                warnings=warnings,
            )
        except WorkImportError as error:
            raise CommandError(str(error)) from error
        for warning in warnings:
            self.stderr.write(f"Warning: {warning}")
        self.stdout.write(work.get_absolute_url())
