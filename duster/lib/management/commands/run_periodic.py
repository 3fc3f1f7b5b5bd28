"""`manage.py run_periodic`: start the periodic jobs that are due (see
duster.lib.periodic), once. For cron, e.g. every few minutes, when no
`task_worker` runs them (it does so about once a minute)."""

from typing import Any

from django.core.management.base import BaseCommand

from duster.lib.periodic import periodic_run_due


class Command(BaseCommand):
    help = "Start the periodic jobs that are due"

    def handle(self, *args: Any, **options: Any) -> None:
        started = periodic_run_due()
        if options["verbosity"] > 0:
            self.stdout.write(f"Started: {', '.join(started)}." if started else "Nothing was due.")
