import time

from django.core.management.base import BaseCommand

from duster.lib.progress import ProgressBar
from duster.search.index import FilterIndex
from duster.search.models import SearchChange
from duster.search.text import text_index_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the full-text index of every posted work, and have every app "
        "process rebuild its filter index on its next search."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        bar = ProgressBar("Indexing text")  # on the terminal's stderr
        indexed = text_index_rebuild(progress=bar)
        bar.finish()
        SearchChange.objects.create(work_id=None)
        text_seconds = time.monotonic() - started
        started = time.monotonic()
        index = FilterIndex.build()
        self.stdout.write(
            f"Indexed the text of {indexed:,} works in {text_seconds:.1f} s; "
            f"the filter index of {len(index.posted):,} works builds in "
            f"{time.monotonic() - started:.1f} s."
        )
