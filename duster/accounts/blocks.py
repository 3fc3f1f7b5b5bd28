"""Blocking: a blocked user may not comment on the blocker's works, reply to
the blocker's comments or leave kudos on the blocker's works."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from duster.accounts.models import Block, User


def is_blocked(*, user, by: Iterable[int]) -> bool:
    """Whether any of the users with ids `by` blocks `user` (a guest is
    never blocked: blocks are between accounts)."""
    if user is None or not user.is_authenticated:
        return False
    by = [pk for pk in by if pk is not None]
    return bool(by) and Block.objects.filter(blocker_id__in=by, blocked=user).exists()


def block_user(*, user: User, other: User) -> Block:
    if user.pk == other.pk:
        raise ValidationError("You cannot block yourself.")
    try:
        with transaction.atomic():
            block, _ = Block.objects.get_or_create(blocker=user, blocked=other)
    except IntegrityError:  # blocked by a parallel request: the same outcome
        block = Block.objects.get(blocker=user, blocked=other)
    return block


def unblock_user(*, user: User, other: User) -> None:
    Block.objects.filter(blocker=user, blocked=other).delete()


def blocked_users(user: User):
    return User.objects.filter(blocked_by__blocker=user).order_by("username")
