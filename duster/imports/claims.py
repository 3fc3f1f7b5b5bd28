"""Claiming an account imported from another archive.

An imported author's account is *unclaimed*: it has a LegacyId "author" row
and no usable password (it is active, so its works are credited to a person
with a page). Its owner claims it through a signed link mailed to the
address the old archive had: they choose a password and whether their works
stay under their name or go to the shared `orphan_account` under the same pen
name. A password reset for that address claims it too (keeping the works;
see duster.accounts.services.password_reset_recipients).

A link works for CLAIM_LINK_DAYS days and only while the account is
unclaimed: it carries a digest of the account's password field, which
claiming changes (as does an administrator's setting a new unusable one).
"""

import datetime as dt
from functools import partial

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet, Value
from django.db.models.functions import Lower
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import get_script_prefix, reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from duster.accounts.models import Pseud, User
from duster.accounts.services import address_holder_with_password
from duster.accounts.throttle import login_failures_clear
from duster.imports.models import EFICTION, ImportKind, LegacyId
from duster.works.models import Creatorship, Work
from duster.works.services.stats import works_touch

CLAIM_SALT = "duster.imports.claim"
ORPHAN_USERNAME = "orphan_account"
# A reserved domain (RFC 2606): nothing is ever mailed to the shared account.
ORPHAN_EMAIL = "orphan_account@example.invalid"
# What the mail calls an archive when the command is not told its name.
SOURCE_NAMES = {EFICTION: "the eFiction archive"}

ALREADY_CLAIMED = "This account has been claimed already. Log in, or reset your password."
ADDRESS_HELD = (
    "Another account here has this account's email address, so it can't be claimed with "
    "it. Log in to that account, or ask the archive's administrators to move the works."
)
ORPHAN_TAKEN = (
    f"Works can't be orphaned here: the username {ORPHAN_USERNAME} belongs to a member. "
    "Keep your works, or ask the archive's administrators."
)


# --- Who is unclaimed ------------------------------------------------------------------------


def _unclaimed(sources: QuerySet[LegacyId]) -> QuerySet[User]:
    return User.objects.filter(
        pk__in=sources.filter(kind=ImportKind.AUTHOR).values("new_id"),
        is_active=True,
        password__startswith=UNUSABLE_PASSWORD_PREFIX,
    )


def unclaimed_users(source: str = EFICTION) -> QuerySet[User]:
    """Accounts imported from `source` that nobody has claimed yet. (One an
    administrator deactivated is left out: a link must not bring it back.)"""
    return _unclaimed(LegacyId.objects.filter(source=source))


def _unclaimed_from_any_source() -> QuerySet[User]:
    return _unclaimed(LegacyId.objects.all())


def claimed_works(user: User) -> QuerySet[Work]:
    """The works credited to the account, as its owner sees them."""
    return (
        Work.objects.credited_to(user, viewer=user)
        .only("pk", "title", "state")
        .order_by("title", "pk")
    )


# --- Links ------------------------------------------------------------------------------------


def _password_state(user: User) -> str:
    # A keyed digest, not the field itself: the token is readable.
    return salted_hmac(CLAIM_SALT, user.password, algorithm="sha256").hexdigest()[:32]


def claim_token(user: User) -> str:
    return signing.dumps({"u": user.pk, "p": _password_state(user)}, salt=CLAIM_SALT)


def claim_link(user: User, site_url: str) -> str:
    """The absolute claim link for mail. site_url is the archive's root; the
    script prefix reverse() adds inside a request is cut off, as for the
    accounts' own mail, so this works the same in a task worker."""
    path = reverse("account_claim", args=[claim_token(user)])[len(get_script_prefix()) :]
    return site_url.rstrip("/") + "/" + path


def user_for_claim_token(token: str) -> User | None:
    """The unclaimed account a token is for; None for a bad, expired or used one."""
    max_age = dt.timedelta(days=settings.CLAIM_LINK_DAYS)
    try:
        data = signing.loads(token, salt=CLAIM_SALT, max_age=max_age)
    except signing.BadSignature:  # expired ones too
        return None
    if not isinstance(data, dict):
        return None
    user_id, state = data.get("u"), data.get("p")
    if not isinstance(user_id, int) or not isinstance(state, str):
        return None
    user = _unclaimed_from_any_source().filter(pk=user_id).first()
    if user is None or not constant_time_compare(state, _password_state(user)):
        return None
    return user


# --- Mail -------------------------------------------------------------------------------------


def has_address(user: User) -> bool:
    try:
        validate_email(user.email)
    except ValidationError:
        return False
    return True


def archive_name(source: str) -> str:
    return SOURCE_NAMES.get(source, f"the archive “{source}”")


@transaction.atomic
def claim_mail_send(*, user_ids, site_url: str, archive: str = "") -> int:
    """Queue a claim mail to each unclaimed account among `user_ids` that has
    an address; how many were queued. `archive` names the old archive in the
    mail (by default, a name for the account's import source)."""
    users = list(_unclaimed_from_any_source().filter(pk__in=list(user_ids)).order_by("pk"))
    queued = 0
    for user in users:
        if not has_address(user):
            continue
        queued += 1
        transaction.on_commit(
            partial(send_claim_mail.enqueue, user_id=user.pk, site_url=site_url, archive=archive)
        )
    return queued


@task
def send_claim_mail(*, user_id: int, site_url: str, archive: str = "") -> None:
    # The token is made here, not passed in: task arguments are stored, and a
    # stored link would let whoever reads them take the account.
    user = _unclaimed_from_any_source().filter(pk=user_id).first()
    if user is None or not has_address(user):
        return  # claimed meanwhile
    if not archive:
        legacy = LegacyId.objects.filter(kind=ImportKind.AUTHOR, new_id=user.pk).first()
        archive = archive_name(legacy.source if legacy else "")
    base = site_url.rstrip("/")
    works = [(work.title, base + work.get_absolute_url()) for work in claimed_works(user)]
    context = {
        "user": user,
        "archive": archive,
        "works": works,
        "url": claim_link(user, site_url),
        "days": settings.CLAIM_LINK_DAYS,
        "site_name": settings.SITE_NAME,
    }
    send_mail(
        subject=f"Your works from {archive} are on {settings.SITE_NAME}: claim your account",
        message=render_to_string("imports/email/claim.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )


# --- Claiming ---------------------------------------------------------------------------------


@transaction.atomic
def claim_account(*, user: User, password: str, orphan: bool) -> User:
    """Give an unclaimed account its password, which confirms it; with
    `orphan`, first move every credit of its pseuds to orphan_account. All
    or nothing: a refusal (claimed already, the address held by another
    account with a password, a weak password) changes nothing."""
    locked = User.objects.select_for_update().filter(pk=user.pk).first()
    if locked is None or not _unclaimed_from_any_source().filter(pk=locked.pk).exists():
        raise ValidationError(ALREADY_CLAIMED)
    if address_holder_with_password(locked) is not None:
        raise ValidationError(ADDRESS_HELD)
    password_validation.validate_password(password, locked)
    locked.set_password(password)
    locked.is_active = True
    try:
        with transaction.atomic():
            locked.save(update_fields=["password", "is_active"])
    except IntegrityError:  # the address was taken just now
        raise ValidationError(ADDRESS_HELD) from None
    if orphan:
        credits_orphan(user=locked)
    login_failures_clear(username=locked.username)
    return locked


def orphan_account() -> User:
    """The shared account orphaned works are credited to, made when first
    needed: active (it has a page), with no password and no real address."""
    found = User.objects.filter(username__iexact=ORPHAN_USERNAME).first()
    if found is None:
        made = User(username=ORPHAN_USERNAME, email=ORPHAN_EMAIL, is_active=True)
        made.set_unusable_password()
        try:
            with transaction.atomic():
                made.save()
            return made
        except IntegrityError:  # made by another request just now
            found = User.objects.get(username__iexact=ORPHAN_USERNAME)
    if found.has_usable_password():
        raise ValidationError(ORPHAN_TAKEN)
    return found


def _orphan_pseud(orphan: User, name: str) -> Pseud:
    """orphan_account's pseud called `name` (whatever its case), made if new."""
    same = Pseud.objects.alias(lname=Lower("name")).filter(user=orphan, lname=Lower(Value(name)))
    found = same.values_list("pk", flat=True).first()
    if found is None:
        return Pseud.objects.create(user=orphan, name=name)
    return Pseud.objects.get(pk=found)


@transaction.atomic
def credits_orphan(*, user: User) -> list[int]:
    """Move every accepted credit (works and series) of `user`'s pseuds to
    orphan_account, under a pseud of the same name, so bylines read
    "Name (orphan_account)"; invitations they never answered are declined.
    The works keep everything else (comments, kudos, bookmarks). The ids of
    the works whose credits moved."""
    orphan = orphan_account()
    Creatorship.objects.filter(pseud__user=user, approved=False).delete()
    credits = Creatorship.objects.filter(pseud__user=user)
    work_ids = sorted(set(credits.filter(work__isnull=False).values_list("work_id", flat=True)))
    for pseud in Pseud.objects.filter(user=user):
        own = Creatorship.objects.filter(pseud=pseud)
        if not own.exists():
            continue
        target = _orphan_pseud(orphan, pseud.name)
        held = Creatorship.objects.filter(pseud=target)
        # Where that pen name is credited already, the credit is not doubled.
        own.filter(work__in=held.filter(work__isnull=False).values("work_id")).delete()
        own.filter(series__in=held.filter(series__isnull=False).values("series_id")).delete()
        own.update(pseud=target)
    works_touch(work_ids=work_ids)
    return work_ids
