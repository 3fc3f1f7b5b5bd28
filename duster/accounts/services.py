import datetime as dt

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone

from duster.accounts.models import Pseud, User

ACTIVATION_SALT = "duster.accounts.activate"


@transaction.atomic
def user_register(*, username: str, email: str, password: str, activation_url) -> User:
    """An inactive account plus its default pseud; the confirmation mail goes
    out once the account is committed."""
    expired_signups().filter(Q(username__iexact=username) | Q(email__iexact=email)).delete()
    user = User.objects.create_user(
        username=username, email=email, password=password, is_active=False
    )
    token = signing.dumps(user.pk, salt=ACTIVATION_SALT)
    url = activation_url(token)
    transaction.on_commit(lambda: send_activation_mail.enqueue(user_id=user.pk, url=url))
    return user


def expired_signups():
    """Accounts whose confirmation link ran out unused. They hold on to no
    username or address: signing up again with either replaces them."""
    cutoff = timezone.now() - dt.timedelta(days=settings.ACCOUNT_ACTIVATION_DAYS)
    return User.objects.filter(is_active=False, last_login__isnull=True, date_joined__lt=cutoff)


@task
def send_activation_mail(*, user_id: int, url: str) -> None:
    user = User.objects.get(pk=user_id)
    context = {"user": user, "url": url, "site_name": settings.SITE_NAME}
    send_mail(
        subject=f"Confirm your {settings.SITE_NAME} account",
        message=render_to_string("accounts/email/activation.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )


def user_activate(*, token: str) -> User | None:
    """The account the token confirms, now active; None for a bad or old token.

    A link works once: an account that was confirmed (and so logged in)
    already gets None, so a leaked link neither logs anyone in nor brings
    back an account an administrator deactivated."""
    max_age = settings.ACCOUNT_ACTIVATION_DAYS * 24 * 60 * 60
    try:
        user_id = signing.loads(token, salt=ACTIVATION_SALT, max_age=max_age)
    except signing.BadSignature:
        return None
    user = User.objects.filter(pk=user_id, is_active=False, last_login__isnull=True).first()
    if user is not None:
        user.is_active = True
        user.save(update_fields=["is_active"])
    return user


@transaction.atomic
def pseud_save(*, pseud: Pseud) -> Pseud:
    pseud.full_clean()
    pseud.save()
    return pseud
