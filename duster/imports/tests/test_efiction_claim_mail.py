"""`import_efiction --email-authors`: every imported member with an address is sent a link
to claim the account, naming the archive they come from."""

import re

import pytest
from django.core import mail

from duster.accounts.models import User
from duster.imports.claims import user_for_claim_token
from duster.imports.tests.efiction_helpers import archive_text, run_import

pytestmark = pytest.mark.django_db(transaction=True)


def test_each_imported_member_is_mailed_a_claim_link_naming_the_archive(tmp_path):
    out = run_import(archive_text(), "--email-authors", tmp_path=tmp_path)
    assert "Queued 6 claim emails." in out
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        User.objects.filter(password__startswith="!").values_list("email", flat=True)
    )
    message = next(m for m in mail.outbox if m.to == ["juniper@vane.test"])
    assert "Lantern Hollow Archive" in message.body
    token = re.search(r"/account/claim/([^/\s]+)/", str(message.body))
    assert token is not None
    claimed = user_for_claim_token(token.group(1))
    assert claimed is not None and claimed.default_pseud.name == "Juniper Vane"


def test_a_dry_run_mails_nobody(tmp_path):
    run_import(archive_text(), "--email-authors", "--dry-run", tmp_path=tmp_path)
    assert mail.outbox == []
    assert not User.objects.exists()
