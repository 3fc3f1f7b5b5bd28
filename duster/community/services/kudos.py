"""Kudos: one per account per work, one per guest (by address) per work per
UTC day. The work's creators cannot leave kudos on their own work, and
users a creator blocks cannot leave kudos on that creator's works.

Duplicates are refused by the database's unique constraints, not by a
look-up first, so two clicks (or two servers) at once still leave one row
and one count."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from duster.accounts.blocks import is_blocked
from duster.accounts.client import address_digest
from duster.community.models import Kudos
from duster.community.services.comments import checked_visible, creator_user_ids
from duster.community.services.counts import work_count_add
from duster.works.models import Work

ALREADY = "You have already left kudos here."
ALREADY_TODAY = "You have already left kudos here today. Thank you!"
NOT_YOURS = "You can't leave kudos on your own work."
NOT_ALLOWED = "You can't leave kudos on this work."
NO_ADDRESS = "We could not tell where your request came from, so we can't count your kudos."


def kudos_leave(*, work: Work, user=None, address: str = "") -> Kudos:
    """Leave kudos on `work` as `user` (a member) or as a guest from
    `address`; ValidationError saying why not."""
    member = user is not None and user.is_authenticated
    viewer = user if member else None
    # A work the view just loaded through the visibility rule for this user
    # is not asked about again.
    if (
        not checked_visible(work, viewer)
        and not Work.objects.visible_to(viewer).filter(pk=work.pk).exists()
    ):
        raise ValidationError(NOT_ALLOWED)
    now = timezone.now()
    kudos = Kudos(work=work, day=now.date(), created_at=now)  # now is UTC: a UTC day
    if member:
        creators = creator_user_ids(work)
        if user.pk in creators:
            raise ValidationError(NOT_YOURS)
        if is_blocked(user=user, by=creators):
            raise ValidationError(NOT_ALLOWED)
        kudos.user = user
        duplicate = ALREADY
    else:
        kudos.guest_key = address_digest(address)
        if not kudos.guest_key:
            raise ValidationError(NO_ADDRESS)
        duplicate = ALREADY_TODAY
    # Field checks only: whether it is a duplicate is the database's to say
    # (race-safe), and the work and user were just loaded.
    kudos.full_clean(exclude=["work", "user"], validate_unique=False, validate_constraints=False)
    # The INSERT comes first, so a refused one undoes nothing else: the
    # block rolls back as a whole and no savepoint is needed around it.
    try:
        with transaction.atomic():
            kudos.save(force_insert=True)
            work_count_add(work_id=work.pk, counter="kudos_count", delta=1)
    except IntegrityError:
        raise ValidationError(duplicate) from None
    return kudos
