from django.conf import settings
from django.core.management.base import BaseCommand
from django.db.models.functions import Lower

from duster.accounts.models import User
from duster.imports.claims import claim_mail_send, has_address, unclaimed_users
from duster.imports.models import EFICTION


class Command(BaseCommand):
    help = (
        "Mail each unclaimed account imported from an archive a link to claim it "
        "(choose a password, keep or orphan its works); print how many were queued."
    )

    def add_arguments(self, parser):
        parser.add_argument("--source", default=EFICTION, help="the import source")
        parser.add_argument(
            "--user",
            action="append",
            dest="usernames",
            metavar="USERNAME",
            help="only this account (repeat for several)",
        )
        parser.add_argument(
            "--archive",
            default="",
            help="the old archive's name as its members knew it, for the mail",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="say what would be sent, send nothing"
        )

    def handle(self, *args, source, usernames, archive, dry_run, **options):
        unclaimed = unclaimed_users(source)
        if usernames:
            wanted = {name.lower() for name in usernames}
            # Usernames are ASCII (see accounts.models), so lower() is the database's.
            users: list[User] = list(
                unclaimed.alias(lname=Lower("username"))
                .filter(lname__in=wanted)
                .order_by("username")
            )
            for name in sorted(wanted - {u.username.lower() for u in users}):
                self.stderr.write(f"No unclaimed account from {source} is called {name}.")
        else:
            users = list(unclaimed.order_by("username"))
        with_address = [u for u in users if has_address(u)]
        without = [u.username for u in users if not has_address(u)]
        if dry_run:
            count = len(with_address)
            self.stdout.write(f"Would queue {count} claim link{'s' if count != 1 else ''}.")
        else:
            count = claim_mail_send(
                user_ids=[u.pk for u in with_address], site_url=settings.SITE_URL, archive=archive
            )
            self.stdout.write(f"Queued {count} claim link{'s' if count != 1 else ''}.")
        if without:
            self.stdout.write(
                f"{len(without)} account{'s have' if len(without) != 1 else ' has'} "
                f"no email address: {', '.join(without)}"
            )
