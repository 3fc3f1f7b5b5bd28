"""`manage.py recount_community`: set every work's kudos, comment and
bookmark counters from the rows again, and say how many were repaired.
With --enqueue, the task does it in the background instead (for cron)."""

from django.core.management.base import BaseCommand

from duster.community.services.counts import RECOUNT_BATCH, works_recount_all
from duster.community.tasks import community_recount


class Command(BaseCommand):
    help = "Recount kudos, comments and bookmarks on every work; repair the counters that drifted."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size", type=int, default=RECOUNT_BATCH, help="Works read at a time."
        )
        parser.add_argument("--enqueue", action="store_true", help="Leave it to the task worker.")

    def handle(self, *args, batch_size: int, enqueue: bool, **options):
        if enqueue:
            result = community_recount.enqueue()
            self.stdout.write(f"Recount queued (task {result.id}).")
            return
        repaired = works_recount_all(batch_size=max(1, batch_size))
        noun = "work" if repaired == 1 else "works"
        self.stdout.write(f"Repaired the counts of {repaired} {noun}.")
