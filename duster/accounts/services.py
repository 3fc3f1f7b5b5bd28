import datetime as dt
import unicodedata
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from duster.accounts.models import Pseud, User
from duster.accounts.throttle import (
    Scope,
    Throttled,
    allowance_take,
    login_failures_clear,
    wait_text,
)
from duster.lib import reader

ACTIVATION_SALT = "duster.accounts.activate"
ADDRESS_TAKEN = (
    "This account's email address belongs to another account now, so it can't be "
    "confirmed. Sign up again with another address."
)


def _link(site_url: str, view: str, *args) -> str:
    """An absolute link for mail. site_url is the root the request reached
    (with any script prefix); reverse() adds the prefix only inside a request,
    so it is cut off here to work the same in a task worker."""
    return site_url + reverse(view, args=args)[len(get_script_prefix()) :]


def _same_address(email: str):
    return Exact(Lower("email"), email.lower())


def _address_holder(user: User) -> User | None:
    """The confirmed account that holds `user`'s address, if another does."""
    return User.objects.confirmed().filter(_same_address(user.email)).exclude(pk=user.pk).first()


# --- Signing up and confirming ---------------------------------------------------------------


@transaction.atomic
def user_register(*, username: str, email: str, password: str, site_url: str) -> User:
    """An inactive account plus its default pseud, and once it is committed
    a mail to its address. Whether or not the address has an account already,
    the signup goes the same way, so the answer tells nobody which addresses
    are known: only the mail differs. A new address gets the confirmation
    link; an address with a confirmed account gets a note to that account's
    owner instead, and this signup can never be confirmed (it expires)."""
    expired_signups().filter(Q(username__iexact=username) | _same_address(email)).delete()
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                username=username, email=email, password=password, is_active=False
            )
    except IntegrityError:
        # Taken between the form's check and now.
        raise ValidationError({"username": "That username is taken."}) from None
    # The first mail counts, so "send it again" waits its turn after it.
    allowance_take(spends=[(Scope.ACTIVATION_ACCOUNT, str(user.pk), None)])
    _confirmation_send(user=user, site_url=site_url)
    return user


def _confirmation_send(*, user: User, site_url: str) -> None:
    holder = _address_holder(user)
    if holder is None:
        transaction.on_commit(
            lambda: send_activation_mail.enqueue(user_id=user.pk, site_url=site_url)
        )
        return
    try:
        allowance_take(
            spends=[(Scope.NOTICE_ACCOUNT, str(holder.pk), settings.ACCOUNT_MAILS_PER_DAY)]
        )
    except Throttled:
        return  # told recently; the page says the same either way
    transaction.on_commit(lambda: send_signup_notice.enqueue(user_id=holder.pk, site_url=site_url))


@transaction.atomic
def user_resend_activation(*, user: User, address: str | None, site_url: str) -> None:
    """The confirmation mail again, for someone who proved they own the
    signup (by its password). Limited per account and per client address."""
    if not user.is_pending:
        raise ValidationError("This account is confirmed already. Log in.")
    spends = [(Scope.ACTIVATION_ACCOUNT, str(user.pk), settings.ACCOUNT_MAILS_PER_DAY)]
    if address:
        spends.append((Scope.ACTIVATION_ADDRESS, address, settings.ACCOUNT_ADDRESS_MAILS_PER_DAY))
    try:
        allowance_take(spends=spends)
    except Throttled as limit:
        if limit.daily:
            raise ValidationError(
                "We have sent confirmation links too often today. You can ask again in "
                f"{wait_text(limit.wait)}, or reset your password: that mail confirms the "
                "account too."
            ) from None
        raise ValidationError(
            f"We sent the link a moment ago. You can ask for another in {wait_text(limit.wait)}."
        ) from None
    _confirmation_send(user=user, site_url=site_url)


def expired_signups():
    """Accounts whose confirmation link ran out unused. They hold on to no
    username or address: signing up again with either replaces them."""
    cutoff = timezone.now() - dt.timedelta(days=settings.ACCOUNT_ACTIVATION_DAYS)
    return User.objects.pending().filter(date_joined__lt=cutoff)


@task
def send_activation_mail(*, user_id: int, site_url: str) -> None:
    # The token is made here, not passed in: task arguments are stored, and a
    # stored link would let whoever reads them confirm (and log in to) it.
    user = User.objects.pending().filter(pk=user_id).first()
    if user is None:
        return  # confirmed or replaced meanwhile
    token = signing.dumps(user.pk, salt=ACTIVATION_SALT)
    context = {"user": user, "url": _link(site_url, "activate", token)}
    _mail(
        user, f"Confirm your {settings.SITE_NAME} account", "accounts/email/activation.txt", context
    )


@task
def send_signup_notice(*, user_id: int, site_url: str) -> None:
    """To the owner of an address someone signed up with again."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    context = {
        "user": user,
        "login_url": _link(site_url, "login"),
        "reset_url": _link(site_url, "password_reset"),
    }
    _mail(
        user,
        f"Someone tried to sign up to {settings.SITE_NAME} with your address",
        "accounts/email/signup_notice.txt",
        context,
    )


def _mail(user: User, subject: str, template: str, context: dict) -> None:
    context = {"site_name": settings.SITE_NAME, **context}
    send_mail(
        subject=subject,
        message=render_to_string(template, context),
        from_email=None,
        recipient_list=[user.email],
    )


@transaction.atomic
def user_activate(*, token: str) -> User | None:
    """The account the token confirms, now active; None for a bad or old token.

    A link works once: an account that was confirmed (and so logged in)
    already gets None, so a leaked link neither logs anyone in nor brings
    back an account an administrator deactivated. Nor can it confirm an
    address another account confirmed meanwhile."""
    max_age = settings.ACCOUNT_ACTIVATION_DAYS * 24 * 60 * 60
    try:
        user_id = signing.loads(token, salt=ACTIVATION_SALT, max_age=max_age)
    except signing.BadSignature:
        return None
    user = User.objects.pending().filter(pk=user_id).first()
    if user is None or _address_holder(user) is not None:
        return None
    user.is_active = True
    try:
        with transaction.atomic():
            user.save(update_fields=["is_active"])
    except IntegrityError:
        return None  # the address was confirmed for another account just now
    return user


# --- Passwords -------------------------------------------------------------------------------


def _same_text(a: str, b: str) -> bool:
    # The database's case-insensitive match is looser than Unicode's: check
    # again here, as Django's own password reset form does.
    return (
        unicodedata.normalize("NFKC", a).casefold() == unicodedata.normalize("NFKC", b).casefold()
    )


def password_reset_recipients(email: str) -> list[User]:
    """Whose password a reset for `email` may change: the confirmed account
    that holds the address if there is one (if it is active), else every
    signup waiting on that address (completing the reset confirms it).

    Accounts that never had a password (imported from another archive and
    not claimed yet) hold no address (see User.Meta), and several may share
    one: while no account with a password holds it, each active one gets a
    link, and the reset gives it its first password, which claims it."""
    users = [u for u in User.objects.filter(_same_address(email)) if _same_text(u.email, email)]
    confirmed = [u for u in users if not u.is_pending]
    with_password = [u for u in confirmed if u.has_usable_password()]
    if with_password:
        return [u for u in with_password if u.is_active]
    if confirmed:
        return [u for u in confirmed if u.is_active]
    return [u for u in users if u.has_usable_password()]


@transaction.atomic
def password_reset_request(*, email: str, site_url: str) -> None:
    """Mail each recipient a reset link, at most once a minute per account
    (quietly: the page says the same whatever happens, to anyone)."""
    for user in password_reset_recipients(email):
        try:
            allowance_take(spends=[(Scope.RESET_ACCOUNT, str(user.pk), None)])
        except Throttled:
            continue
        transaction.on_commit(
            partial(send_password_reset_mail.enqueue, user_id=user.pk, site_url=site_url)
        )


@task
def send_password_reset_mail(*, user_id: int, site_url: str) -> None:
    # As with activation, the token is made here rather than stored with the task.
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    context = {"user": user, "url": _link(site_url, "password_reset_confirm", uid, token)}
    subject = render_to_string("registration/password_reset_subject.txt", context)
    _mail(user, " ".join(subject.split()), "registration/password_reset_email.html", context)


def address_holder_with_password(user: User) -> User | None:
    """The confirmed account with a password that holds `user`'s address, if
    another does: an account without one (see User.Meta) cannot be given a
    password while it does."""
    return (
        User.objects.confirmed()
        .filter(_same_address(user.email))
        .exclude(pk=user.pk)
        .exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX)
        .first()
    )


def password_reset_check(*, user: User) -> None:
    """Raise if completing a reset could not confirm this signup, or could
    not give an account without a password (an imported one) its first."""
    if user.is_pending and _address_holder(user) is not None:
        raise ValidationError(ADDRESS_TAKEN)
    if not user.has_usable_password() and address_holder_with_password(user) is not None:
        raise ValidationError(ADDRESS_TAKEN)


@transaction.atomic
def user_password_reset(*, user: User, password: str) -> User:
    """Set the password from a reset link. The link proved the address, so a
    signup waiting for confirmation is confirmed too, and a lockout from
    failed logins is lifted."""
    password_reset_check(user=user)
    user.set_password(password)
    fields = ["password"]
    if user.is_pending:
        user.is_active = True
        fields.append("is_active")
    try:
        with transaction.atomic():
            user.save(update_fields=fields)
    except IntegrityError:
        raise ValidationError(ADDRESS_TAKEN) from None
    login_failures_clear(username=user.username)
    return user


# --- Failed logins ---------------------------------------------------------------------------


def user_lockout_notify(*, user: User, site_url: str | None) -> None:
    transaction.on_commit(
        lambda: send_lockout_mail.enqueue(user_id=user.pk, site_url=site_url or "")
    )


@task
def send_lockout_mail(*, user_id: int, site_url: str) -> None:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    context = {
        "user": user,
        "failures": settings.LOGIN_LOCKOUT_FAILURES,
        "minutes": settings.LOGIN_LOCKOUT_MINUTES,
        "reset_url": _link(site_url, "password_reset") if site_url else "",
    }
    _mail(
        user,
        f"Your {settings.SITE_NAME} account is locked after failed logins",
        "accounts/email/lockout.txt",
        context,
    )


# --- Pseuds ----------------------------------------------------------------------------------


@transaction.atomic
def pseud_save(*, pseud: Pseud) -> Pseud:
    pseud.full_clean()
    pseud.save()
    # Bylines show the pseud's name: the works it is credited on changed.
    from duster.works.services.stats import works_touch

    works_touch(
        work_ids=list(
            pseud.creatorships.filter(work__isnull=False).values_list("work_id", flat=True)
        )
    )
    return pseud


# --- Preferences -----------------------------------------------------------------------------

PREFERENCE_FIELDS = (
    "view_adult",
    "time_zone",
    "notification_email",
    "history_enabled",
    *(f"reader_{name}" for name in reader.SETTING_NAMES),
)


@transaction.atomic
def user_preferences_save(*, user: User, changes: dict[str, Any]) -> User:
    """Save a member's preferences (only the fields named in `changes`);
    nothing is saved unless all of them are valid."""
    unknown = set(changes) - set(PREFERENCE_FIELDS)
    if unknown:
        raise ValueError(f"not preferences: {sorted(unknown)}")
    locked = User.objects.select_for_update().get(pk=user.pk)
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.full_clean(exclude=[f.name for f in User._meta.fields if f.name not in changes])
    locked.save(update_fields=list(changes))
    for name, value in changes.items():
        setattr(user, name, value)
    return locked


def user_reader_settings_save(*, user: User, settings: reader.ReaderSettings) -> User:
    """A member's reader settings, as the reader-settings form chose them."""
    return user_preferences_save(
        user=user,
        changes={f"reader_{name}": getattr(settings, name) for name in reader.SETTING_NAMES},
    )
