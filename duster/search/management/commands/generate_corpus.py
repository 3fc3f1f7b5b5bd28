"""manage.py generate_corpus --works N --seed S: a generated archive for the
search benchmark (see duster.search.corpus)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from duster.search.corpus import BATCH, corpus_generate


class Command(BaseCommand):
    help = (
        "Fill an empty archive with N generated works (the same N and seed give the same "
        "works), then rebuild the search index."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--works", type=int, required=True, help="How many works.")
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same corpus.")
        parser.add_argument(
            "--batch", type=int, default=BATCH, help=f"Works per transaction ({BATCH:,})."
        )
        parser.add_argument(
            "--no-index", action="store_true", help="Leave the search index to rebuild later."
        )

    def handle(self, *args: object, **options: object) -> None:
        works, batch = int(str(options["works"])), int(str(options["batch"]))
        if works < 1 or batch < 1:
            raise CommandError("--works and --batch must be at least 1.")

        def progress(done: int, seconds: float) -> None:
            self.stdout.write(f"{done:,}/{works:,} works ({done / works:.0%}), {seconds:.0f} s")

        try:
            summary = corpus_generate(
                works=works, seed=int(str(options["seed"])), batch=batch, progress=progress
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Generated {summary.works:,} works, {summary.chapters:,} chapters, "
            f"{summary.tags:,} tags, {summary.work_tags:,} taggings and "
            f"{summary.filter_taggings:,} filter taggings in {summary.seconds:.1f} s."
        )
        if not options["no_index"]:
            call_command("rebuild_search_index")
