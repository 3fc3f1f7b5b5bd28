"""`manage.py send_digests`: mail the daily digests that are due now (members
whose oldest unmailed notification is a day old); `--all` mails every member
on the daily digest who has anything unmailed, whatever its age."""

from typing import Any

from django.core.management.base import BaseCommand

from duster.community.services.notifications import digests_send_due


class Command(BaseCommand):
    help = "Mail the daily notification digests that are due"

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--all", action="store_true", help="Everyone with unmailed notifications, now."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sent = digests_send_due(everyone=options["all"])
        if options["verbosity"] > 0:
            self.stdout.write(f"{sent} digest{'s' if sent != 1 else ''} sent.")
